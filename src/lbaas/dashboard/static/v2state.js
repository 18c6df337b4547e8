// What the dashboard knows of the v2 (Octavia) model: the load balancers, and for the one being
// viewed its whole tree (listeners, policies with their rules, pools, members, monitors, VIP's
// floating IP, certificates by name, the nodes that run it), refreshed with the v1 data.

import { api, ApiError } from './api.js';
import { shortId } from './dom.js';
import { addLoader } from './state.js';

export const V2 = '/v2.0/lbaas';
export const AMPHORAE = '/v2.0/octavia/amphorae';

export const v2 = { loadbalancers: [], tree: null };

const list = async (path, key) => (await api.get(path))[key];

async function loadList() {
  v2.loadbalancers = await list(`${V2}/loadbalancers`, 'loadbalancers');
}

/** Everything under one load balancer; `tree.gone` when it does not exist (any more). */
async function loadTree(id) {
  let lb;
  try {
    lb = (await api.get(`${V2}/loadbalancers/${id}`)).loadbalancer;
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 404) { v2.tree = { id, gone: true }; return; }
    throw exc;
  }
  const q = `loadbalancer_id=${encodeURIComponent(id)}`;
  const [listeners, pools, policies, monitors, fips, amphorae, secrets, containers] = await Promise.all([
    list(`${V2}/listeners?${q}`, 'listeners'),
    list(`${V2}/pools?${q}`, 'pools'),
    list(`${V2}/l7policies`, 'l7policies'),
    list(`${V2}/healthmonitors`, 'healthmonitors'),
    list('/v2.0/floatingips', 'floatingips'),
    list(`${AMPHORAE}?${q}`, 'amphorae').catch(() => []),   // admin only
    list('/v1/secrets?limit=100', 'secrets').catch(() => []),
    list('/v1/containers?limit=100', 'containers').catch(() => []),
  ]);
  const listenerIds = new Set(listeners.map((l) => l.id));
  const mine = policies.filter((p) => listenerIds.has(p.listener_id));
  const [members, rules] = await Promise.all([
    Promise.all(pools.map((p) => list(`${V2}/pools/${p.id}/members`, 'members').catch(ignoreGone))),
    Promise.all(mine.map((p) => list(`${V2}/l7policies/${p.id}/rules`, 'rules').catch(ignoreGone))),
  ]);
  const poolIds = new Set(pools.map((p) => p.id));
  v2.tree = {
    id, lb, listeners: listeners.sort(byPort), pools,
    policies: mine.map((p, i) => ({ ...p, rules: rules[i] })),
    members: new Map(pools.map((p, i) => [p.id, members[i].sort(byAddress)])),
    monitors: monitors.filter((m) => m.pools.some((p) => poolIds.has(p.id))),
    floatingIp: fips.find((f) => f.port_id && f.port_id === lb.vip_port_id) ?? null,
    amphorae, secrets: [...secrets, ...containers.map((c) => ({ name: c.name, secret_ref: c.container_ref }))],
  };
}

function ignoreGone(exc) {
  if (exc instanceof ApiError && exc.status === 404) return [];  // deleted meanwhile
  throw exc;
}

const byPort = (a, b) => a.protocol_port - b.protocol_port || a.protocol.localeCompare(b.protocol);

function byAddress(a, b) {
  return a.address.localeCompare(b.address, undefined, { numeric: true }) || a.protocol_port - b.protocol_port;
}

addLoader('v2lbs', loadList);
addLoader('v2lb', loadTree);

// -- lookups in the current tree --------------------------------------------------------------

export function pool(id) {
  return v2.tree?.pools?.find((p) => p.id === id) ?? null;
}

export function poolName(id) {
  const found = pool(id);
  return found ? found.name || shortId(found.id) : shortId(id);
}

export function policiesOf(listenerId) {
  return (v2.tree?.policies ?? []).filter((p) => p.listener_id === listenerId)
    .sort((a, b) => a.position - b.position);
}

export function monitorOf(poolId) {
  const found = pool(poolId);
  return found?.healthmonitor_id ? v2.tree.monitors.find((m) => m.id === found.healthmonitor_id) ?? null : null;
}

/** A certificate reference (a Barbican secret URL) as its secret's name, or the id it ends with. */
export function secretName(ref) {
  if (!ref) return '';
  const id = ref.replace(/\/+$/, '').split('/').pop();
  const secret = (v2.tree?.secrets ?? []).find((s) => s.secret_ref === ref || s.secret_ref?.endsWith(`/${id}`));
  return secret?.name || shortId(id);
}

export function poolOptionsV2() {
  return (v2.tree?.pools ?? []).map((p) => [p.id, `${p.name || shortId(p.id)} (${p.protocol})`]);
}

/** Whether the load balancer takes changes now (the API refuses them while it is PENDING_*). */
export function busy() {
  return Boolean(v2.tree?.lb?.provisioning_status?.startsWith('PENDING'));
}
