// Traffic history per pool: the cumulative counters of /pools/{id}/stats sampled at each refresh,
// turned into rates. Counters are refreshed by the agent about every 2 s, so a rate is taken over
// at least RATE_SPAN_MS to smooth the steps between two of its reports.

export const WINDOW_MS = 5 * 60 * 1000;
const RATE_SPAN_MS = 4000;
const history = new Map();

export function record(poolId, stats, time = Date.now()) {
  const samples = history.get(poolId) ?? [];
  samples.push({ time, ...stats });
  while (samples.length && samples[0].time < time - WINDOW_MS - RATE_SPAN_MS) samples.shift();
  history.set(poolId, samples);
}

export function latest(poolId) {
  const samples = history.get(poolId) ?? [];
  return samples[samples.length - 1] ?? null;
}

/** Rates over time: {times, connections, active, bytesIn, bytesOut} (per second). */
export function rates(poolId) {
  const samples = history.get(poolId) ?? [];
  const out = { times: [], connections: [], active: [], bytesIn: [], bytesOut: [] };
  for (let i = 1; i < samples.length; i += 1) {
    const now = samples[i];
    const before = earlier(samples, i);
    const seconds = (now.time - before.time) / 1000;
    if (seconds <= 0) continue;
    const per = (key) => Math.max(0, now[key] - before[key]) / seconds;
    out.times.push(now.time);
    out.connections.push(per('total_connections'));
    out.active.push(now.active_connections);
    out.bytesIn.push(per('bytes_in'));
    out.bytesOut.push(per('bytes_out'));
  }
  return out;
}

function earlier(samples, index) {
  for (let j = index - 1; j >= 0; j -= 1) {
    if (samples[index].time - samples[j].time >= RATE_SPAN_MS) return samples[j];
  }
  return samples[0];
}

export function forget(poolId) {
  history.delete(poolId);
}
