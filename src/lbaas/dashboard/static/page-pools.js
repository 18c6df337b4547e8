// Pools: the list with each pool's VIP, member health and traffic; and one pool in full.

import { session } from './api.js';
import { lineChart, sparkline } from './chart.js';
import {
  badge, button, facts, formatBytes, formatNumber, h, KeyedTable, link, notify, pageHead, panel,
  shortId,
} from './dom.js';
import {
  associate, associateMonitor, createMember, createMonitor, createPool, createVip, deleteMember,
  deletePool, deleteVip, disassociate, editMember, editPool, editVip,
} from './lbforms.js';
import { disassociateFloatingIp, floatingIpForVip } from './netforms.js';
import {
  agentOfPool, changed, data, find, floatingIpOfVip, membersOf, monitorLabel, subnetLabel, vipOfPool,
} from './state.js';
import { latest, rates } from './traffic.js';
import { loadPoolHistory } from './history.js';

const NEEDS = ['pools', 'members', 'vips', 'health_monitors', 'subnets', 'networks', 'floatingips'];

/** Members up / total, as text and as dots (green up, red down, grey otherwise). */
export function memberHealth(poolId) {
  const members = membersOf(poolId);
  const up = members.filter((m) => m.status === 'ACTIVE').length;
  const dots = members.slice(0, 12).map((m) => h('i', {
    class: m.status === 'ACTIVE' ? 'up' : m.status === 'INACTIVE' || m.status === 'ERROR' ? 'down' : '',
  }));
  return h('span', { class: 'member-health' },
    members.length ? `${up} of ${members.length} up` : 'no members',
    members.length ? h('span', { class: 'health', 'aria-hidden': 'true' }, dots) : null);
}

function statusCell(item) {
  return [badge(item.status, item.status_description),
    item.status_description ? h('span', { class: 'sub' }, item.status_description) : null];
}

export const poolsPage = {
  title: 'Pools',
  needs: [...NEEDS, 'stats'],
  mount() {
    const table = new KeyedTable({
      label: 'Pools', empty: 'No pools yet: start with “New load balancer”.',
      columns: [
        { label: 'Name', cell: (p) => [link(p.name || shortId(p.id), `#/pools/${p.id}`), h('span', { class: 'sub' }, p.description)] },
        { label: 'Protocol', cell: (p) => [p.protocol, h('span', { class: 'sub' }, p.lb_method.replaceAll('_', ' ').toLowerCase())] },
        { label: 'VIP', cell: vipCell },
        { label: 'Members', cell: (p) => memberHealth(p.id) },
        { label: 'Monitors', cell: (p) => String(p.health_monitors.length) },
        { label: 'Connections/s (1 min)', cell: trafficCell },
        { label: 'Status', cell: statusCell },
        { label: 'Actions', className: 'actions', cell: (p) => [
          button('Edit', () => editPool(p), { kind: 'small', aria: `Edit pool ${p.name || p.id}` }),
          button('Delete', () => deletePool(p), { kind: 'small danger', aria: `Delete pool ${p.name || p.id}` })] },
      ],
    });
    const element = h('div', {},
      pageHead('Pools', 'A pool and its VIP make one load balancer.',
        link('New load balancer', '#/new', 'btn primary'), button('Create pool', () => createPool())),
      h('section', { class: 'panel' }, table.element));
    const update = () => table.update(data.pools);
    Promise.all(data.pools.map((p) => loadPoolHistory(p.id))).then(update, () => {});
    return { element, update };
  },
};

function vipCell(pool) {
  const vip = vipOfPool(pool);
  if (!vip) return h('span', { class: 'muted' }, 'none');
  const fip = floatingIpOfVip(vip);
  return [h('span', { class: 'mono' }, `${vip.address}:${vip.protocol_port}`), ' ', badge(vip.status, vip.status_description),
    fip ? h('span', { class: 'sub' }, `floating ${fip.floating_ip_address}`) : null];
}

function trafficCell(pool) {
  const series = rates(pool.id);
  const now = series.connections[series.connections.length - 1] ?? 0;
  const start = series.times.findIndex((t) => t >= Date.now() - 60000);
  const times = start < 0 ? [] : series.times.slice(start);
  return [sparkline(times, series.connections.slice(series.times.length - times.length)),
    h('span', { class: 'sub' }, `now ${formatNumber(now)}`)];
}

// -- one pool -------------------------------------------------------------------------------

export const poolPage = {
  title: 'Pool',
  needs: ({ id }) => [...NEEDS, `stats:${id}`, ...(session.admin ? ['agentPools'] : [])],
  mount({ id }) {
    const element = h('div', { class: 'pool-page', 'data-pool': id });
    const members = memberTable();
    const monitors = monitorTable(id);
    const head = h('div');
    const summary = h('div');
    const vipBox = h('div');
    const traffic = h('div', { class: 'traffic' });
    const gone = h('div', { class: 'form-error', role: 'alert', hidden: true });
    element.append(gone, head,
      h('div', { class: 'grid-2' }, panel('Overview', null, summary), panel('VIP', null, vipBox)),
      panel('Traffic', null, traffic),
      panel('Members', [button('Add member', () => createMember(id))], members.element),
      panel('Health monitors', [
        button('Associate monitor', () => associateMonitor({ pool: find('pools', id) })),
        button('Create and associate', () => createMonitor((monitor) => associateNew(id, monitor)))],
      monitors.element));
    const view = { element, headKey: '' };
    view.update = () => {
      const pool = find('pools', id);
      if (!pool) {
        if (gone.hidden) gone.replaceChildren('This pool does not exist (any more). ', link('All pools', '#/pools'));
        gone.hidden = false;
        return;
      }
      drawHead(view, head, pool);
      summary.replaceChildren(poolFacts(pool));
      drawVip(vipBox, pool);
      drawTraffic(traffic, pool);
      members.update(membersOf(id));
      monitors.update(pool.health_monitors_status.map((a) => ({ id: a.monitor_id, ...a })));
    };
    loadPoolHistory(id).then((added) => { if (added) view.update(); }, () => {});
    return view;
  },
};

async function associateNew(poolId, monitor) {
  try {
    await associate(poolId, monitor.id);
  } catch (exc) {
    notify(`Created, but not associated: ${exc.summary ?? exc.message}`, { bad: true });
  }
  changed();
}

function drawHead(view, head, pool) {
  const key = `${pool.name}|${pool.description}`;
  if (view.headKey === key) return;  // keep focus on the buttons
  view.headKey = key;
  head.replaceChildren(pageHead(`Pool ${pool.name || shortId(pool.id)}`, pool.description,
    button('Edit pool', () => editPool(find('pools', pool.id))),
    button('Delete pool', () => deletePool(find('pools', pool.id), () => { location.hash = '#/pools'; }), { kind: 'danger' })));
}

function poolFacts(pool) {
  return facts([
    ['Status', h('span', {}, badge(pool.status, pool.status_description), ' ', pool.status_description ?? '')],
    ['Health', memberHealth(pool.id)],
    ['Protocol', pool.protocol],
    ['Method', pool.lb_method],
    ['Subnet', subnetLabel(pool.subnet_id)],
    ['Enabled', pool.admin_state_up ? 'yes' : 'no (admin state down)'],
    session.admin ? ['Agent', agentFact(pool)] : null,
    session.admin ? ['Project', pool.tenant_id] : null,
    ['Id', h('span', { class: 'mono' }, pool.id)],
  ]);
}

function agentFact(pool) {
  const agent = agentOfPool(pool.id);
  if (!agent) return h('span', { class: 'muted' }, 'none yet');
  return h('span', {}, link(agent.host, '#/agents'), ' ', badge(agent.alive ? 'ALIVE' : 'DEAD'));
}

function drawVip(box, pool) {
  const vip = vipOfPool(pool);
  const signature = JSON.stringify([vip, vip && floatingIpOfVip(vip)]);
  if (box.dataset.signature === signature) return;
  box.dataset.signature = signature;
  const focused = box.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
  box.replaceChildren(vip ? vipDetails(vip) : h('div', {},
    h('p', { class: 'empty' }, 'No VIP yet: clients cannot reach this pool.'),
    button('Create VIP', () => createVip(pool.id), { kind: 'primary' })));
  if (focused) box.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
}

function vipDetails(vip) {
  const fip = floatingIpOfVip(vip);
  const persistence = vip.session_persistence;
  return h('div', {},
    facts([
      ['Address', h('span', { class: 'mono' }, `${vip.address}:${vip.protocol_port}`)],
      ['Status', h('span', {}, badge(vip.status, vip.status_description), ' ', vip.status_description ?? '')],
      ['Name', vip.name || '—'],
      ['Floating IP', fip ? h('span', { class: 'mono' }, fip.floating_ip_address) : 'none'],
      ['Persistence', persistence ? `${persistence.type}${persistence.cookie_name ? ` (${persistence.cookie_name})` : ''}` : 'none'],
      ['Connection limit', vip.connection_limit === -1 ? 'none' : String(vip.connection_limit)],
    ]),
    h('div', { class: 'form-actions' },
      fip ? button('Disassociate floating IP', () => disassociateFloatingIp(fip))
        : button('Add floating IP', () => floatingIpForVip(vip)),
      button('Edit VIP', () => editVip(vip)),
      button('Delete VIP', () => deleteVip(vip), { kind: 'danger' })));
}

function drawTraffic(box, pool) {
  const series = rates(pool.id);
  const last = latest(pool.id);
  const now = (values) => values[values.length - 1] ?? 0;
  box.replaceChildren(
    h('p', { class: 'now-values', 'data-testid': 'traffic-now' },
      `Now: ${formatNumber(now(series.connections))} connections/s, ${last ? last.active_connections : 0} active, `
      + `${formatBytes(now(series.bytesIn))}/s in, ${formatBytes(now(series.bytesOut))}/s out. `
      + `Totals: ${last ? last.total_connections : 0} connections, ${formatBytes(last ? last.bytes_in + last.bytes_out : 0)}.`),
    h('div', { class: 'grid-2' },
      lineChart({ title: 'Connections per second', times: series.times, format: formatNumber, minTop: 4, series: [
        { label: 'new connections/s', values: series.connections, className: 'series-1' },
        { label: 'active connections', values: series.active, className: 'series-2' }] }),
      lineChart({ title: 'Bytes per second', times: series.times, format: (v) => formatBytes(v), minTop: 1000, series: [
        { label: 'in (from clients)', values: series.bytesIn, className: 'series-1' },
        { label: 'out (to clients)', values: series.bytesOut, className: 'series-2' }] })),
    h('p', { class: 'hint' }, 'Rates from the cumulative counters the agent reports: the last hour from the service\'s history (a sample every 10 s), then every 2 s.'));
}

function memberTable() {
  return new KeyedTable({
    label: 'Members of this pool', empty: 'No members yet.',
    columns: [
      { label: 'Address', cell: (m) => h('span', { class: 'mono' }, `${m.address}:${m.protocol_port}`) },
      { label: 'Weight', cell: (m) => String(m.weight) },
      { label: 'Enabled', cell: (m) => (m.admin_state_up ? 'yes' : 'no') },
      { label: 'Health', cell: statusCell },
      { label: 'Actions', className: 'actions', cell: (m) => [
        button('Edit', () => editMember(m), { kind: 'small', aria: `Edit member ${m.address}:${m.protocol_port}` }),
        button('Delete', () => deleteMember(m), { kind: 'small danger', aria: `Delete member ${m.address}:${m.protocol_port}` })] },
    ],
  });
}

function monitorTable(poolId) {
  return new KeyedTable({
    label: 'Health monitors of this pool', empty: 'No health monitor: members are not checked.',
    columns: [
      { label: 'Monitor', cell: (a) => { const m = find('health_monitors', a.id); return m ? monitorLabel(m) : shortId(a.id); } },
      { label: 'Checks', cell: (a) => { const m = find('health_monitors', a.id); return m ? `timeout ${m.timeout}s, down after ${m.max_retries}` : ''; } },
      { label: 'Association', cell: statusCell },
      { label: 'Actions', className: 'actions', cell: (a) => button('Disassociate', () => disassociate(poolId, a.id), { kind: 'small danger', aria: `Disassociate monitor ${shortId(a.id)}` }) },
    ],
  });
}
