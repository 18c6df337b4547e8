// What the dashboard knows: the API's collections as last fetched, refreshed by the view's needs.

import { api, ApiError } from './api.js';
import { shortId } from './dom.js';
import { record } from './traffic.js';

export const data = {
  pools: [], members: [], health_monitors: [], vips: [], networks: [], subnets: [],
  floatingips: [], agents: [], agentPools: new Map(), loadedAt: 0,
};

const SOURCES = {
  pools: '/v2.0/lb/pools',
  members: '/v2.0/lb/members',
  health_monitors: '/v2.0/lb/health_monitors',
  vips: '/v2.0/lb/vips',
  networks: '/v2.0/networks',
  subnets: '/v2.0/subnets',
  floatingips: '/v2.0/floatingips',
  agents: '/v2.0/agents',
};

/**
 * Fetch what a view needs: collection names, 'stats' (of every pool) or 'stats:<pool id>', and
 * 'agentPools' (which agent hosts which pool; admin only).
 */
export async function refresh(needs) {
  const wanted = new Set(needs);
  const statsFor = needs.filter((n) => n.startsWith('stats:')).map((n) => n.slice(6));
  if (wanted.has('agentPools')) wanted.add('agents');
  await Promise.all([...wanted].filter((name) => SOURCES[name]).map(async (name) => {
    data[name] = (await api.get(SOURCES[name]))[name];
  }));
  const extra = [];
  if (wanted.has('stats')) extra.push(refreshStats(data.pools.map((p) => p.id)));
  else if (statsFor.length) extra.push(refreshStats(statsFor));
  if (wanted.has('agentPools')) extra.push(refreshAgentPools());
  for (const need of needs) {
    const [name, arg] = need.split(/:(.*)/);
    if (LOADERS.has(name)) extra.push(LOADERS.get(name)(arg));
  }
  await Promise.all(extra);
  data.loadedAt = Date.now();
}

/** Other modules' data: `addLoader('x', load)` makes the need 'x' or 'x:<arg>' call load(arg). */
const LOADERS = new Map();

export function addLoader(name, load) {
  LOADERS.set(name, load);
}

async function refreshStats(poolIds) {
  const time = Date.now();
  await Promise.all(poolIds.map(async (id) => {
    try {
      record(id, (await api.get(`/v2.0/lb/pools/${id}/stats`)).stats, time);
    } catch (exc) {
      if (!(exc instanceof ApiError && exc.status === 404)) throw exc;  // deleted meanwhile
    }
  }));
}

async function refreshAgentPools() {
  const next = new Map();
  await Promise.all(data.agents.map(async (agent) => {
    next.set(agent.id, (await api.get(`/v2.0/agents/${agent.id}/loadbalancer-pools`)).pools);
  }));
  data.agentPools = next;
}

// -- after a change: the app refreshes at once instead of waiting for the next tick ----------

let refresher = () => {};

export function onChange(callback) {
  refresher = callback;
}

export function changed() {
  return refresher();
}

// -- lookups ---------------------------------------------------------------------------------

export function find(collection, id) {
  return data[collection].find((item) => item.id === id) ?? null;
}

export function poolLabel(id) {
  const pool = find('pools', id);
  return pool ? pool.name || shortId(pool.id) : shortId(id);
}

export function subnetLabel(id) {
  const subnet = find('subnets', id);
  return subnet ? `${subnet.name || shortId(subnet.id)} (${subnet.cidr})` : shortId(id);
}

export function networkLabel(id) {
  const network = find('networks', id);
  return network ? network.name || shortId(network.id) : shortId(id);
}

/** The agent hosting a pool, from 'agentPools' (admins only), or null. */
export function agentOfPool(poolId) {
  for (const [agentId, pools] of data.agentPools) {
    if (pools.some((p) => p.id === poolId)) return find('agents', agentId);
  }
  return null;
}

export function vipOfPool(pool) {
  return pool.vip_id ? find('vips', pool.vip_id) : null;
}

export function floatingIpOfVip(vip) {
  return data.floatingips.find((fip) => fip.port_id && fip.port_id === vip.port_id) ?? null;
}

/** A pool's members in address order (numeric: .9 before .10), then port. */
export function membersOf(poolId) {
  return data.members.filter((member) => member.pool_id === poolId).sort(byAddress);
}

export function byAddress(a, b) {
  return a.address.localeCompare(b.address, undefined, { numeric: true }) || a.protocol_port - b.protocol_port;
}

export function monitorLabel(monitor) {
  const base = `${monitor.type} every ${monitor.delay}s`;
  return monitor.url_path ? `${base} ${monitor.http_method} ${monitor.url_path}` : base;
}

export function subnetOptions() {
  return data.subnets.map((s) => [s.id, `${s.name || shortId(s.id)} — ${s.cidr} on ${networkLabel(s.network_id)}`]);
}

export function poolOptions(filter = () => true) {
  return data.pools.filter(filter).map((p) => [p.id, `${p.name || shortId(p.id)} (${p.protocol})`]);
}
