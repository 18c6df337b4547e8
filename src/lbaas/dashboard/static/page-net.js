// Floating IPs, networks and subnets, and (for admins) the agents.

import { session } from './api.js';
import { badge, button, h, KeyedTable, link, pageHead, panel, shortId } from './dom.js';
import {
  associateFloatingIp, createFloatingIp, createNetwork, createSubnet, deleteAgent,
  deleteFloatingIp, deleteNetwork, deleteSubnet, disassociateFloatingIp, editAgent, editNetwork,
  editSubnet,
} from './netforms.js';
import { data, networkLabel, poolLabel } from './state.js';

export const floatingIpsPage = {
  title: 'Floating IPs',
  needs: ['floatingips', 'vips', 'networks', 'pools'],
  mount() {
    const table = new KeyedTable({
      label: 'Floating IPs', empty: 'No floating IPs yet.',
      columns: [
        { label: 'Address', cell: (f) => h('span', { class: 'mono' }, f.floating_ip_address) },
        { label: 'Network', cell: (f) => networkLabel(f.floating_network_id) },
        { label: 'Associated with', cell: associatedCell },
        { label: 'Status', cell: (f) => badge(f.status) },
        { label: 'Actions', className: 'actions', cell: (f) => [
          f.port_id
            ? button('Disassociate', () => disassociateFloatingIp(f), { kind: 'small', aria: `Disassociate ${f.floating_ip_address}` })
            : button('Associate', () => associateFloatingIp(f), { kind: 'small', aria: `Associate ${f.floating_ip_address}` }),
          button('Release', () => deleteFloatingIp(f), { kind: 'small danger', aria: `Release ${f.floating_ip_address}` })] },
      ],
    });
    const element = h('div', {},
      pageHead('Floating IPs', 'Addresses on an external network that lead to a VIP; the client\'s address is kept.',
        button('Create floating IP', () => createFloatingIp(), { kind: 'primary' })),
      h('section', { class: 'panel' }, table.element));
    return { element, update: () => table.update(data.floatingips) };
  },
};

function associatedCell(fip) {
  if (!fip.port_id) return h('span', { class: 'muted' }, 'nothing');
  const vip = data.vips.find((v) => v.port_id === fip.port_id);
  if (!vip) return h('span', { class: 'mono' }, fip.fixed_ip_address ?? shortId(fip.port_id));
  return [`VIP ${vip.name || shortId(vip.id)} `, h('span', { class: 'mono' }, fip.fixed_ip_address),
    h('span', { class: 'sub' }, 'pool ', link(poolLabel(vip.pool_id), `#/pools/${vip.pool_id}`))];
}

export const networksPage = {
  title: 'Networks and subnets',
  needs: ['networks', 'subnets'],
  mount() {
    const networks = new KeyedTable({
      label: 'Networks', empty: 'No networks yet.',
      columns: [
        { label: 'Name', cell: (n) => [n.name || shortId(n.id), h('span', { class: 'sub mono' }, shortId(n.id))] },
        { label: 'Kind', cell: (n) => [n['router:external'] ? 'external' : 'tenant', n.shared ? ', shared' : ''] },
        { label: 'Subnets', cell: (n) => n.subnets.map((id) => data.subnets.find((s) => s.id === id)?.cidr ?? shortId(id)).join(', ') || '—' },
        session.admin ? { label: 'Bridge', cell: (n) => h('span', { class: 'mono' }, n['lbaas:bridge'] ?? `brq${n.id.slice(0, 11)}`) } : null,
        { label: 'Enabled', cell: (n) => (n.admin_state_up ? 'yes' : 'no') },
        { label: 'Actions', className: 'actions', cell: (n) => [
          button('Add subnet', () => createSubnet(n.id), { kind: 'small', aria: `Add a subnet to ${n.name || n.id}` }),
          button('Edit', () => editNetwork(n), { kind: 'small', aria: `Edit network ${n.name || n.id}` }),
          button('Delete', () => deleteNetwork(n), { kind: 'small danger', aria: `Delete network ${n.name || n.id}` })] },
      ].filter(Boolean),
    });
    const subnets = new KeyedTable({
      label: 'Subnets', empty: 'No subnets yet.',
      columns: [
        { label: 'Name', cell: (s) => s.name || shortId(s.id) },
        { label: 'CIDR', cell: (s) => h('span', { class: 'mono' }, s.cidr) },
        { label: 'Network', cell: (s) => networkLabel(s.network_id) },
        { label: 'Gateway', cell: (s) => s.gateway_ip ?? 'none' },
        { label: 'Allocation pools', cell: (s) => (s.allocation_pools ?? []).map((p) => `${p.start}–${p.end}`).join(', ') },
        { label: 'Actions', className: 'actions', cell: (s) => [
          button('Edit', () => editSubnet(s), { kind: 'small', aria: `Edit subnet ${s.cidr}` }),
          button('Delete', () => deleteSubnet(s), { kind: 'small danger', aria: `Delete subnet ${s.cidr}` })] },
      ],
    });
    const element = h('div', {},
      pageHead('Networks and subnets', 'Tenant networks hold members and VIPs; external networks give floating IPs.',
        button('Create network', () => createNetwork(), { kind: 'primary' }),
        button('Create subnet', () => createSubnet())),
      panel('Networks', null, networks.element), panel('Subnets', null, subnets.element));
    return { element, update: () => { networks.update(data.networks); subnets.update(data.subnets); } };
  },
};

export const agentsPage = {
  title: 'Agents',
  needs: ['agentPools', 'pools'],
  mount() {
    const table = new KeyedTable({
      label: 'Agents', empty: 'No agent has registered: load balancers wait in PENDING_CREATE until one does.',
      columns: [
        { label: 'Host', cell: (a) => [a.host, h('span', { class: 'sub' }, a.description)] },
        { label: 'Alive', cell: (a) => badge(a.alive ? 'ALIVE' : 'DEAD') },
        { label: 'Enabled', cell: (a) => (a.admin_state_up ? 'yes' : 'no') },
        { label: 'Last heartbeat', cell: (a) => `${a.heartbeat_timestamp} UTC` },
        { label: 'Load balancers', cell: (a) => hostedPools(a) },
        { label: 'Driver', cell: (a) => a.configurations?.network_driver ?? a.binary },
        { label: 'Actions', className: 'actions', cell: (a) => [
          button('Edit', () => editAgent(a), { kind: 'small', aria: `Edit agent ${a.host}` }),
          button('Delete', () => deleteAgent(a), { kind: 'small danger', aria: `Delete agent ${a.host}` })] },
      ],
    });
    const element = h('div', {},
      pageHead('Agents', 'The agents that run the load balancers. A disabled or dead agent\'s load balancers move to a live one.'),
      h('section', { class: 'panel' }, table.element));
    return { element, update: () => table.update(data.agents) };
  },
};

function hostedPools(agent) {
  const pools = data.agentPools.get(agent.id) ?? [];
  if (!pools.length) return h('span', { class: 'muted' }, 'none');
  return h('ul', { class: 'plain' }, pools.map((p) => h('li', {}, link(p.name || shortId(p.id), `#/pools/${p.id}`), ' ', badge(p.status))));
}
