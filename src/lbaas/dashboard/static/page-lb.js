// Members, health monitors and VIPs across every pool.

import { badge, button, h, KeyedTable, link, pageHead, shortId } from './dom.js';
import {
  associateMonitor, createMember, createMonitor, createVip, deleteMember, deleteMonitor,
  deleteVip, disassociate, editMember, editMonitor, editVip,
} from './lbforms.js';
import { data, floatingIpOfVip, poolLabel, subnetLabel } from './state.js';

function statusCell(item) {
  return [badge(item.status, item.status_description),
    item.status_description ? h('span', { class: 'sub' }, item.status_description) : null];
}

const poolLink = (poolId) => link(poolLabel(poolId), `#/pools/${poolId}`);

export const membersPage = {
  title: 'Members',
  needs: ['pools', 'members'],
  mount() {
    const table = new KeyedTable({
      label: 'Members', empty: 'No members yet.',
      columns: [
        { label: 'Address', cell: (m) => h('span', { class: 'mono' }, `${m.address}:${m.protocol_port}`) },
        { label: 'Pool', cell: (m) => poolLink(m.pool_id) },
        { label: 'Weight', cell: (m) => String(m.weight) },
        { label: 'Enabled', cell: (m) => (m.admin_state_up ? 'yes' : 'no') },
        { label: 'Health', cell: statusCell },
        { label: 'Actions', className: 'actions', cell: (m) => [
          button('Edit', () => editMember(m), { kind: 'small', aria: `Edit member ${m.address}:${m.protocol_port}` }),
          button('Delete', () => deleteMember(m), { kind: 'small danger', aria: `Delete member ${m.address}:${m.protocol_port}` })] },
      ],
    });
    const element = h('div', {},
      pageHead('Members', 'The servers behind the pools, with the health their monitors see.',
        button('Add member', () => createMember(), { kind: 'primary' })),
      h('section', { class: 'panel' }, table.element));
    const order = (a, b) => poolLabel(a.pool_id).localeCompare(poolLabel(b.pool_id))
      || a.address.localeCompare(b.address, undefined, { numeric: true }) || a.protocol_port - b.protocol_port;
    return { element, update: () => table.update([...data.members].sort(order)) };
  },
};

export const monitorsPage = {
  title: 'Health monitors',
  needs: ['pools', 'health_monitors'],
  mount() {
    const table = new KeyedTable({
      label: 'Health monitors', empty: 'No health monitors yet.',
      columns: [
        { label: 'Type', cell: (m) => [m.type, h('span', { class: 'sub mono' }, shortId(m.id))] },
        { label: 'Timing', cell: (m) => [`every ${m.delay}s, timeout ${m.timeout}s`, h('span', { class: 'sub' }, `down after ${m.max_retries} failures`)] },
        { label: 'HTTP check', cell: (m) => (m.url_path ? h('span', { class: 'mono' }, `${m.http_method} ${m.url_path} → ${m.expected_codes}`) : '—') },
        { label: 'Enabled', cell: (m) => (m.admin_state_up ? 'yes' : 'no') },
        { label: 'Pools', cell: (m) => poolsCell(m) },
        { label: 'Actions', className: 'actions', cell: (m) => [
          button('Associate', () => associateMonitor({ monitor: m }), { kind: 'small', aria: `Associate ${m.type} monitor ${shortId(m.id)} with a pool` }),
          button('Edit', () => editMonitor(m), { kind: 'small', aria: `Edit ${m.type} monitor ${shortId(m.id)}` }),
          button('Delete', () => deleteMonitor(m), { kind: 'small danger', aria: `Delete ${m.type} monitor ${shortId(m.id)}` })] },
      ],
    });
    const element = h('div', {},
      pageHead('Health monitors', 'Checks that take a failing member out of its pool. One monitor can watch many pools.',
        button('Create health monitor', () => createMonitor(), { kind: 'primary' })),
      h('section', { class: 'panel' }, table.element));
    return { element, update: () => table.update(data.health_monitors) };
  },
};

function poolsCell(monitor) {
  if (!monitor.pools.length) return h('span', { class: 'muted' }, 'none');
  return h('ul', { class: 'plain' }, monitor.pools.map((a) => h('li', {},
    poolLink(a.pool_id), ' ', badge(a.status, a.status_description), ' ',
    button('Disassociate', () => disassociate(a.pool_id, monitor.id), {
      kind: 'small', key: `dis-${a.pool_id}`, aria: `Disassociate from pool ${poolLabel(a.pool_id)}` }))));
}

export const vipsPage = {
  title: 'VIPs',
  needs: ['pools', 'vips', 'subnets', 'networks', 'floatingips'],
  mount() {
    const table = new KeyedTable({
      label: 'VIPs', empty: 'No VIPs yet.',
      columns: [
        { label: 'Name', cell: (v) => [v.name || shortId(v.id), h('span', { class: 'sub' }, v.description)] },
        { label: 'Address', cell: (v) => [h('span', { class: 'mono' }, `${v.address}:${v.protocol_port}`), h('span', { class: 'sub' }, subnetLabel(v.subnet_id))] },
        { label: 'Protocol', cell: (v) => v.protocol },
        { label: 'Pool', cell: (v) => poolLink(v.pool_id) },
        { label: 'Floating IP', cell: (v) => floatingIpOfVip(v)?.floating_ip_address ?? '—' },
        { label: 'Persistence', cell: (v) => v.session_persistence?.type ?? 'none' },
        { label: 'Status', cell: statusCell },
        { label: 'Actions', className: 'actions', cell: (v) => [
          button('Edit', () => editVip(v), { kind: 'small', aria: `Edit VIP ${v.name || v.address}` }),
          button('Delete', () => deleteVip(v), { kind: 'small danger', aria: `Delete VIP ${v.name || v.address}` })] },
      ],
    });
    const element = h('div', {},
      pageHead('VIPs', 'The addresses clients connect to; each one sends its traffic to one pool.',
        button('Create VIP', () => createVip(), { kind: 'primary' })),
      h('section', { class: 'panel' }, table.element));
    return { element, update: () => table.update(data.vips) };
  },
};
