// v2 (Octavia) load balancers: the list, and one load balancer as a tree (VIP, the nodes that run
// it, listeners with their certificates and L7 policies, pools with members' live health and
// their monitors), each part changed in place.

import { badge, button, facts, h, KeyedTable, link, pageHead, panel, shortId } from './dom.js';
import { policyList } from './l7editor.js';
import { data, subnetLabel } from './state.js';
import {
  createListener, createLoadBalancer, createMemberV2, createMonitorV2, createPoolV2,
  deleteListener, deleteLoadBalancer, deleteMemberV2, deleteMonitorV2, deletePoolV2,
  editListener, editLoadBalancer, editMemberV2, editMonitorV2, editPoolV2,
} from './v2forms.js';
import { monitorOf, policiesOf, poolName, secretName, v2 } from './v2state.js';

const lbName = (lb) => lb.name || shortId(lb.id);

/** Provisioning and operating status side by side (the operating one is the health). */
function statuses(item) {
  return h('span', { class: 'statuses' }, badge(item.provisioning_status), ' ', badge(item.operating_status));
}

export const loadBalancersPage = {
  title: 'Load balancers',
  needs: ['v2lbs', 'subnets', 'networks', 'floatingips'],
  mount() {
    const table = new KeyedTable({
      label: 'Load balancers', empty: 'No load balancers (v2) yet.',
      columns: [
        { label: 'Name', cell: (lb) => [link(lbName(lb), `#/loadbalancers/${lb.id}`), h('span', { class: 'sub' }, lb.description)] },
        { label: 'VIP', cell: (lb) => [h('span', { class: 'mono' }, lb.vip_address), h('span', { class: 'sub' }, subnetLabel(lb.vip_subnet_id))] },
        { label: 'Floating IP', cell: (lb) => data.floatingips.find((f) => f.port_id && f.port_id === lb.vip_port_id)?.floating_ip_address ?? '—' },
        { label: 'Listeners', cell: (lb) => String(lb.listeners.length) },
        { label: 'Pools', cell: (lb) => String(lb.pools.length) },
        { label: 'Status', cell: statuses },
        { label: 'Actions', className: 'actions', cell: (lb) => [
          button('Edit', () => editLoadBalancer(lb), { kind: 'small', aria: `Edit load balancer ${lbName(lb)}` }),
          button('Delete', () => deleteLoadBalancer(lb), { kind: 'small danger', aria: `Delete load balancer ${lbName(lb)}` })] },
      ],
    });
    const element = h('div', {},
      pageHead('Load balancers', 'The v2 (Octavia) model: a VIP with listeners, L7 policies and pools.',
        button('Create load balancer', () => createLoadBalancer(), { kind: 'primary' })),
      h('section', { class: 'panel' }, table.element));
    return { element, update: () => table.update(v2.loadbalancers) };
  },
};

// -- one load balancer ----------------------------------------------------------------------------

/** Redraw `box` only when what it shows changed, keeping focus on the same button. */
function drawInto(box, signature, render) {
  const text = JSON.stringify(signature);
  if (box.dataset.signature === text) return;
  box.dataset.signature = text;
  const focused = box.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
  box.replaceChildren(render());
  if (focused) box.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
}

export const loadBalancerPage = {
  title: 'Load balancer',
  needs: ({ id }) => [`v2lb:${id}`, 'subnets', 'networks'],
  mount({ id }) {
    const parts = { head: h('div'), overview: h('div'), nodes: h('div'), listeners: h('div'), pools: h('div') };
    const gone = h('div', { class: 'form-error', role: 'alert', hidden: true });
    const element = h('div', { class: 'lb-page', 'data-loadbalancer': id }, gone, parts.head,
      h('div', { class: 'grid-2' }, panel('Overview', null, parts.overview), panel('Nodes', null, parts.nodes)),
      panel('Listeners', [button('Add listener', () => createListener(id))], parts.listeners),
      panel('Pools', [button('Add pool', () => createPoolV2(id))], parts.pools));
    const update = () => {
      const tree = v2.tree;
      if (!tree || tree.id !== id) return;
      if (tree.gone) {
        gone.replaceChildren('This load balancer does not exist (any more). ', link('All load balancers', '#/loadbalancers'));
        gone.hidden = false;
        return;
      }
      drawInto(parts.head, [tree.lb.name, tree.lb.description], () => head(tree.lb));
      drawInto(parts.overview, [tree.lb, tree.floatingIp], () => overview(tree));
      drawInto(parts.nodes, tree.amphorae, () => nodes(tree.amphorae));
      drawInto(parts.listeners, [tree.listeners, tree.policies, tree.pools.map((p) => p.name), tree.secrets], () => listeners(tree));
      drawInto(parts.pools, [tree.pools, [...tree.members], tree.monitors], () => pools(tree));
    };
    return { element, update };
  },
};

function head(lb) {
  return pageHead(`Load balancer ${lbName(lb)}`, lb.description,
    button('Edit load balancer', () => editLoadBalancer(v2.tree.lb)),
    button('Delete load balancer', () => deleteLoadBalancer(v2.tree.lb, () => { location.hash = '#/loadbalancers'; }),
      { kind: 'danger' }));
}

function overview(tree) {
  const { lb, floatingIp } = tree;
  return facts([
    ['Status', statuses(lb)],
    ['VIP', h('span', { class: 'mono', 'data-testid': 'vip' }, lb.vip_address)],
    ['Floating IP', floatingIp ? h('span', { class: 'mono' }, floatingIp.floating_ip_address) : 'none'],
    ['Subnet', subnetLabel(lb.vip_subnet_id)],
    ['Enabled', lb.admin_state_up ? 'yes' : 'no (admin state down)'],
    ['Id', h('span', { class: 'mono' }, lb.id)],
  ]);
}

/** Where it runs: one node, or a pair with the MASTER (serving) and the BACKUP, live. */
function nodes(amphorae) {
  if (!amphorae.length) return h('p', { class: 'empty' }, 'Not running on any node yet (or only admins may see where).');
  const pair = amphorae.some((a) => a.role === 'MASTER' || a.role === 'BACKUP') || amphorae.length > 1;
  const order = { MASTER: 0, BACKUP: 1 };
  const sorted = [...amphorae].sort((a, b) => (order[a.role] ?? 2) - (order[b.role] ?? 2));
  return h('div', {},
    h('p', {}, pair ? 'Active-standby pair: the MASTER holds the VIP and serves; the BACKUP takes over if it fails.'
      : 'A single node.'),
    h('ul', { class: 'plain nodes' }, sorted.map((a) => h('li', { 'data-node': a.host ?? a.compute_id, 'data-role': a.role ?? 'NONE' },
      badge(a.role ?? 'UNKNOWN'), ' ', h('strong', {}, a.host ?? shortId(a.compute_id)),
      a.vrrp_ip ? h('span', { class: 'mono muted' }, ` ${a.vrrp_ip}`) : null, ' ', badge(a.status)))));
}

function listeners(tree) {
  if (!tree.listeners.length) return h('p', { class: 'empty' }, 'No listeners: nothing answers on the VIP yet.');
  return h('div', { class: 'stack' }, tree.listeners.map((listener) => {
    const label = `${listener.protocol}:${listener.protocol_port}`;
    return h('article', { class: 'tree-item', 'data-listener': listener.id, 'aria-label': `Listener ${label}` },
      h('div', { class: 'tree-head' },
        h('h3', {}, `${label}${listener.name ? ` · ${listener.name}` : ''}`), statuses(listener),
        h('div', { class: 'actions' },
          link('Traffic', `#/listeners/${listener.id}`, 'btn small'),
          button('Edit', () => editListener(listener), { kind: 'small', key: `edit-${listener.id}`, aria: `Edit listener ${label}` }),
          button('Delete', () => deleteListener(listener), { kind: 'small danger', key: `delete-${listener.id}`, aria: `Delete listener ${label}` }))),
      facts([
        ['Default pool', listener.default_pool_id ? poolName(listener.default_pool_id) : 'none'],
        certificateFact(listener),
        listener.connection_limit > 0 ? ['Connection limit', String(listener.connection_limit)] : null,
      ]),
      policyList(listener, policiesOf(listener.id)));
  }));
}

function certificateFact(listener) {
  const sni = listener.sni_container_refs ?? [];
  if (!listener.default_tls_container_ref && !sni.length) return null;
  return ['Certificate', h('span', { 'data-testid': 'certificate' },
    secretName(listener.default_tls_container_ref) || 'none',
    sni.length ? h('span', { class: 'sub' }, `SNI: ${sni.map(secretName).join(', ')}`) : null)];
}

function pools(tree) {
  if (!tree.pools.length) return h('p', { class: 'empty' }, 'No pools yet.');
  return h('div', { class: 'stack' }, tree.pools.map((pool) => {
    const name = pool.name || shortId(pool.id);
    const members = tree.members.get(pool.id) ?? [];
    return h('article', { class: 'tree-item', 'data-pool': pool.id, 'aria-label': `Pool ${name}` },
      h('div', { class: 'tree-head' },
        h('h3', {}, `Pool ${name}`), h('span', { class: 'muted' }, `${pool.protocol}, ${pool.lb_algorithm.replaceAll('_', ' ').toLowerCase()}`),
        statuses(pool),
        h('div', { class: 'actions' },
          button('Add member', () => createMemberV2(pool.id), { kind: 'small', key: `add-member-${pool.id}`, aria: `Add a member to pool ${name}` }),
          button('Edit', () => editPoolV2(pool), { kind: 'small', key: `edit-${pool.id}`, aria: `Edit pool ${name}` }),
          button('Delete', () => deletePoolV2(pool), { kind: 'small danger', key: `delete-${pool.id}`, aria: `Delete pool ${name}` }))),
      monitorLine(pool, name),
      memberTable(pool, name, members));
  }));
}

function monitorLine(pool, name) {
  const monitor = monitorOf(pool.id);
  if (!monitor) {
    return h('p', { class: 'monitor' }, h('span', { class: 'muted' }, 'No health monitor: members are not checked. '),
      button('Add health monitor', () => createMonitorV2(pool.id), { kind: 'small', key: `add-monitor-${pool.id}`, aria: `Add a health monitor to pool ${name}` }));
  }
  const http = monitor.url_path ? ` ${monitor.http_method} ${monitor.url_path} → ${monitor.expected_codes}` : '';
  return h('p', { class: 'monitor', 'data-monitor': monitor.id },
    `Health monitor: ${monitor.type}${http}, every ${monitor.delay}s, timeout ${monitor.timeout}s. `, badge(monitor.provisioning_status), ' ',
    button('Edit', () => editMonitorV2(monitor), { kind: 'small', key: `edit-${monitor.id}`, aria: `Edit the health monitor of pool ${name}` }),
    button('Delete', () => deleteMonitorV2(monitor), { kind: 'small danger', key: `delete-${monitor.id}`, aria: `Delete the health monitor of pool ${name}` }));
}

function memberTable(pool, name, members) {
  const table = new KeyedTable({
    label: `Members of pool ${name}`, empty: 'No members yet.',
    columns: [
      { label: 'Address', cell: (m) => [h('span', { class: 'mono' }, `${m.address}:${m.protocol_port}`), m.name ? h('span', { class: 'sub' }, m.name) : null] },
      { label: 'Weight', cell: (m) => `${m.weight}${m.backup ? ' (backup)' : ''}` },
      { label: 'Enabled', cell: (m) => (m.admin_state_up ? 'yes' : 'no') },
      { label: 'Health', cell: (m) => h('span', { class: 'member-health', 'data-health': m.operating_status }, badge(m.operating_status)) },
      { label: 'Actions', className: 'actions', cell: (m) => [
        button('Edit', () => editMemberV2(pool.id, m), { kind: 'small', key: `edit-${m.id}`, aria: `Edit member ${m.address}:${m.protocol_port}` }),
        button('Delete', () => deleteMemberV2(pool.id, m), { kind: 'small danger', key: `delete-${m.id}`, aria: `Delete member ${m.address}:${m.protocol_port}` })] },
    ],
  });
  table.update(members);
  return table.element;
}
