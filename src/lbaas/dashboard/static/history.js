// The service's recent traffic (GET .../stats/history: the last hour, a sample every 10 s) put
// in front of what the page samples itself, so a chart means something as soon as it opens.
// Listeners have no 2-second counters of requests and response times, so their charts follow
// the history alone: it is fetched again every POLL_MS for what is new.

import { api, ApiError } from './api.js';
import { newest, record, seed } from './traffic.js';

const POLL_MS = 5000;
const loaded = new Set();
const polled = new Map();   // key -> time of the last fetch

/** The service's samples as traffic.js keeps them: times on this browser's clock. */
function samplesOf(history) {
  const shift = Date.now() - Date.parse(history.now);
  return history.samples.map(({ time, ...counters }) => ({ time: Date.parse(time) + shift, ...counters }));
}

async function fetchHistory(path) {
  try {
    return (await api.get(path)).history;
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 404) return null;  // deleted meanwhile
    throw exc;
  }
}

/** Seed a pool's traffic with the last hour, once per page load. */
export async function loadPoolHistory(poolId) {
  if (loaded.has(poolId)) return false;
  loaded.add(poolId);
  const history = await fetchHistory(`/v2.0/lb/pools/${poolId}/stats/history`).catch(() => null);
  if (!history) { loaded.delete(poolId); return false; }
  seed(poolId, samplesOf(history));
  return true;
}

export function listenerKey(listenerId) {
  return `listener:${listenerId}`;
}

/**
 * A listener's traffic: the last hour on the first call, then what is newer (at most every
 * POLL_MS). Resolves true when something was added.
 */
export async function refreshListenerHistory(listenerId) {
  const key = listenerKey(listenerId);
  const last = polled.get(key) ?? 0;
  if (Date.now() - last < POLL_MS) return false;
  polled.set(key, Date.now());
  const since = newest(key);
  const seconds = since ? Math.min(3600, Math.ceil((Date.now() - since) / 1000) + 30) : 3600;
  const history = await fetchHistory(`/v2.0/lbaas/listeners/${listenerId}/stats/history?seconds=${seconds}`);
  if (!history) return false;
  const fresh = samplesOf(history).filter((s) => s.time > since + 1000);
  if (!since) seed(key, fresh);
  else for (const sample of fresh) record(key, sample, sample.time);
  return fresh.length > 0;
}
