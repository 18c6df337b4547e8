// The create and edit forms of networking objects: networks, subnets, floating IPs; and agents.

import { api, session } from './api.js';
import { notify, shortId } from './dom.js';
import { openForm } from './forms.js';
import { confirmDelete, finish, pickValues } from './lbforms.js';
import { BRIDGE_NAME, checkCidr, inCidr, isIpv4 } from './rules.js';
import { data, networkLabel } from './state.js';

const NETWORKS = '/v2.0/networks';
const SUBNETS = '/v2.0/subnets';
const FIPS = '/v2.0/floatingips';
const ITEM = '/{object_id}';

// -- networks ---------------------------------------------------------------------------------

function networkFields(edit) {
  const admin = session.admin;
  return [
    { name: 'name', label: 'Name', kind: 'text', empty: edit ? 'string' : 'omit' },
    { name: 'admin_state_up', label: 'Enabled (admin state up)', kind: 'checkbox', default: true },
    admin ? { name: 'router:external', label: 'External: floating IPs are taken from it', kind: 'checkbox', default: false } : null,
    admin ? { name: 'shared', label: 'Shared with every project', kind: 'checkbox', default: false } : null,
    admin ? {
      name: 'lbaas:bridge', label: 'Linux bridge', kind: 'text', empty: edit ? 'null' : 'omit',
      hint: 'Leave empty for brq + the id; it must carry this network on every network node',
      check: (value) => (BRIDGE_NAME.test(value) ? null : '1–15 characters of A–Z a–z 0–9 _ . - (not starting with _ . -).'),
    } : null,
  ].filter(Boolean);
}

export function createNetwork() {
  openForm({
    name: 'network', title: 'New network', submitLabel: 'Create network', rules: ['post', NETWORKS],
    fields: networkFields(false),
    submit: (body) => api.post(NETWORKS, { network: body }),
    done: (result) => finish(`Network ${result.network.name || result.network.id} created.`),
  });
}

export function editNetwork(network) {
  const values = pickValues(network, ['name', 'admin_state_up', 'router:external', 'shared', 'lbaas:bridge']);
  openForm({
    name: 'network-edit', title: `Edit network ${network.name || network.id}`, rules: ['put', NETWORKS + ITEM],
    fields: networkFields(true), values, initial: values,
    submit: (body) => api.put(`${NETWORKS}/${network.id}`, { network: body }),
    done: () => finish('Network saved.'),
  });
}

export async function deleteNetwork(network) {
  const label = network.name || network.id;
  await confirmDelete(`Delete network ${label}?`, 'Its subnets go with it. A network with ports in use (VIPs, floating IPs) cannot be deleted.',
    `${NETWORKS}/${network.id}`, `Network ${label} deleted.`);
}

// -- subnets ----------------------------------------------------------------------------------

function subnetFields(edit) {
  return [
    edit ? null : {
      name: 'network_id', label: 'Network', kind: 'select', blank: 'Choose a network',
      options: data.networks.map((n) => [n.id, n.name || shortId(n.id)]),
    },
    { name: 'name', label: 'Name', kind: 'text', empty: edit ? 'string' : 'omit' },
    edit ? null : {
      name: 'cidr', label: 'CIDR', kind: 'text', placeholder: '198.18.1.0/24', check: checkCidr,
    },
    {
      name: 'gateway_ip', label: 'Gateway', kind: 'text', empty: edit ? 'null' : 'omit',
      hint: edit ? 'Empty: no gateway' : 'Empty: the first address of the subnet',
      check: (value, values) => gatewayProblem(value, values, edit),
    },
    edit ? null : {
      name: 'pool_range', label: 'Allocation pool', kind: 'text', send: false, required: false,
      placeholder: '198.18.1.100-198.18.1.199', hint: 'Optional: first-last address given out',
      check: (value, values) => rangeProblem(value, values.cidr),
    },
    { name: 'enable_dhcp', label: 'DHCP enabled', kind: 'checkbox', default: true },
  ].filter(Boolean);
}

function gatewayProblem(value, values, edit) {
  if (!isIpv4(value)) return 'Must be an IPv4 address.';
  if (!edit && !checkCidr(values.cidr) && !inCidr(value, values.cidr)) return 'Must lie inside the CIDR.';
  return null;
}

/** validators.allocation_pools (start and end addresses) and OutOfBoundsAllocationPool. */
function rangeProblem(value, cidr) {
  const [start, end, ...rest] = value.split('-').map((part) => part.trim());
  if (rest.length || !isIpv4(start ?? '') || !isIpv4(end ?? '')) return 'Write it as first-last, e.g. 198.18.1.100-198.18.1.199.';
  if (!checkCidr(cidr) && !(inCidr(start, cidr) && inCidr(end, cidr))) return 'Both ends must lie inside the CIDR.';
  return null;
}

export function createSubnet(networkId = '') {
  openForm({
    name: 'subnet', title: 'New subnet', submitLabel: 'Create subnet', rules: ['post', SUBNETS],
    fields: subnetFields(false), values: { network_id: networkId },
    toBody: (values, body) => {
      if (!values.pool_range) return body;
      const [start, end] = values.pool_range.split('-').map((part) => part.trim());
      return { ...body, allocation_pools: [{ start, end }] };
    },
    submit: (body) => api.post(SUBNETS, { subnet: body }),
    done: (result) => finish(`Subnet ${result.subnet.cidr} created.`),
  });
}

export function editSubnet(subnet) {
  const values = pickValues(subnet, ['name', 'gateway_ip', 'enable_dhcp']);
  openForm({
    name: 'subnet-edit', title: `Edit subnet ${subnet.cidr}`, rules: ['put', SUBNETS + ITEM],
    fields: subnetFields(true), values, initial: values,
    submit: (body) => api.put(`${SUBNETS}/${subnet.id}`, { subnet: body }),
    done: () => finish('Subnet saved.'),
  });
}

export async function deleteSubnet(subnet) {
  await confirmDelete(`Delete subnet ${subnet.cidr}?`, 'A subnet with addresses in use cannot be deleted.',
    `${SUBNETS}/${subnet.id}`, `Subnet ${subnet.cidr} deleted.`);
}

// -- floating IPs -----------------------------------------------------------------------------

function vipPortOptions(fip = null) {
  const taken = new Set(data.floatingips.filter((f) => f.port_id && f !== fip).map((f) => f.port_id));
  return data.vips.filter((v) => !taken.has(v.port_id))
    .map((v) => [v.port_id, `VIP ${v.name || shortId(v.id)} — ${v.address}:${v.protocol_port}`]);
}

export function externalNetworkOptions() {
  return data.networks.filter((n) => n['router:external']).map((n) => [n.id, n.name || shortId(n.id)]);
}

export function createFloatingIp(portId = '') {
  openForm({
    name: 'floatingip', title: 'New floating IP', submitLabel: 'Create floating IP', rules: ['post', FIPS],
    fields: [
      { name: 'floating_network_id', label: 'External network', kind: 'select', blank: 'Choose a network', options: externalNetworkOptions() },
      session.admin ? { name: 'floating_ip_address', label: 'Address', kind: 'text', hint: 'Leave empty for a free address' } : null,
      { name: 'port_id', label: 'Associate with', kind: 'select', blank: 'Nothing yet', options: vipPortOptions() },
    ].filter(Boolean),
    values: { port_id: portId },
    submit: (body) => api.post(FIPS, { floatingip: body }),
    done: (result) => finish(`Floating IP ${result.floatingip.floating_ip_address} created.`),
  });
}

export function associateFloatingIp(fip) {
  const values = { port_id: fip.port_id ?? '' };
  openForm({
    name: 'floatingip-associate', title: `Associate floating IP ${fip.floating_ip_address}`,
    submitLabel: 'Associate', rules: ['put', FIPS + ITEM], values, initial: values,
    fields: [{ name: 'port_id', label: 'VIP', kind: 'select', blank: 'Nothing (disassociate)', empty: 'null', options: vipPortOptions(fip) }],
    submit: (body) => api.put(`${FIPS}/${fip.id}`, { floatingip: body }),
    done: (_, body) => finish(body.port_id ? 'Floating IP associated.' : 'Floating IP disassociated.'),
  });
}

/** From a VIP: associate a free floating IP, or make one on an external network. */
export function floatingIpForVip(vip) {
  const free = data.floatingips.filter((f) => !f.port_id);
  openForm({
    name: 'vip-floatingip', title: `Floating IP for ${vip.name || vip.address}`, submitLabel: 'Associate',
    fields: [{
      name: 'choice', label: 'Floating IP', kind: 'select', required: true, blank: 'Choose',
      options: [
        ...free.map((f) => [`fip:${f.id}`, `${f.floating_ip_address} (free, on ${networkLabel(f.floating_network_id)})`]),
        ...externalNetworkOptions().map(([id, name]) => [`net:${id}`, `A new one on ${name}`]),
      ],
    }],
    submit: (body) => {
      const [kind, id] = body.choice.split(':');
      const fip = { port_id: vip.port_id };
      return kind === 'fip'
        ? api.put(`${FIPS}/${id}`, { floatingip: fip })
        : api.post(FIPS, { floatingip: { ...fip, floating_network_id: id } });
    },
    done: () => finish('Floating IP associated.'),
  });
}

export async function disassociateFloatingIp(fip) {
  try {
    await api.put(`${FIPS}/${fip.id}`, { floatingip: { port_id: null } });
  } catch (exc) {
    notify(`Not disassociated: ${exc.summary ?? exc.message}`, { bad: true });
    return;
  }
  finish(`Floating IP ${fip.floating_ip_address} disassociated.`);
}

export async function deleteFloatingIp(fip) {
  await confirmDelete(`Release floating IP ${fip.floating_ip_address}?`, 'The address goes back to its network.',
    `${FIPS}/${fip.id}`, `Floating IP ${fip.floating_ip_address} released.`, { label: 'Release' });
}

// -- agents -----------------------------------------------------------------------------------

export function editAgent(agent) {
  const values = pickValues(agent, ['admin_state_up', 'description']);
  openForm({
    name: 'agent-edit', title: `Edit agent ${agent.host}`, rules: ['put', '/v2.0/agents/{agent_id}'],
    values, initial: values,
    fields: [
      { name: 'admin_state_up', label: 'Enabled: new and moved load balancers may go to it', kind: 'checkbox' },
      { name: 'description', label: 'Description', kind: 'text', empty: 'string' },
    ],
    submit: (body) => api.put(`/v2.0/agents/${agent.id}`, { agent: body }),
    done: () => finish('Agent saved.'),
  });
}

export async function deleteAgent(agent) {
  await confirmDelete(`Delete agent ${agent.host}?`, 'Only an agent that is not alive can be deleted; its load balancers move to live agents.',
    `/v2.0/agents/${agent.id}`, `Agent ${agent.host} deleted.`);
}
