// Traffic history per object (a pool, or 'listener:<id>'): cumulative counters, from the
// service's recent history (history.js: the last hour, one sample every 10 s) and from each
// refresh of /stats, turned into rates. Counters are refreshed by the agent about every 2 s, so a
// rate is taken over at least RATE_SPAN_MS to smooth the steps between two of its reports.

export const WINDOW_MS = 60 * 60 * 1000;
const RATE_SPAN_MS = 4000;
const history = new Map();

export function record(key, stats, time = Date.now()) {
  const samples = history.get(key) ?? [];
  samples.push({ time, ...stats });
  while (samples.length && samples[0].time < time - WINDOW_MS - RATE_SPAN_MS) samples.shift();
  history.set(key, samples);
}

/**
 * Add samples from the service's history ({time (ms, this browser's clock), counters...}),
 * before those recorded here: a sample no older than the first one here is already known.
 */
export function seed(key, samples) {
  const known = history.get(key) ?? [];
  const first = known[0]?.time ?? Infinity;
  const older = samples.filter((s) => s.time < first).sort((a, b) => a.time - b.time);
  history.set(key, [...older, ...known]);
}

export function latest(key) {
  const samples = history.get(key) ?? [];
  return samples[samples.length - 1] ?? null;
}

/** The time of the newest sample, or 0. */
export function newest(key) {
  return latest(key)?.time ?? 0;
}

/**
 * Rates over time: {times, connections, active, bytesIn, bytesOut, requests, errors, errors5xx}
 * per second, and responseTime (ms, HAProxy's average of the last 1024); null where a counter
 * was not reported. A counter that falls (HAProxy restarted) counts as no traffic, not less.
 */
export function rates(key) {
  const samples = history.get(key) ?? [];
  const out = {
    times: [], connections: [], active: [], bytesIn: [], bytesOut: [], requests: [], errors: [],
    errors5xx: [], responseTime: [],
  };
  for (let i = 1; i < samples.length; i += 1) {
    const now = samples[i];
    const before = earlier(samples, i);
    const seconds = (now.time - before.time) / 1000;
    if (seconds <= 0) continue;
    const per = (name) => (now[name] == null || before[name] == null ? null
      : Math.max(0, now[name] - before[name]) / seconds);
    out.times.push(now.time);
    out.connections.push(per('total_connections'));
    out.active.push(now.active_connections);
    out.bytesIn.push(per('bytes_in'));
    out.bytesOut.push(per('bytes_out'));
    out.requests.push(per('requests'));
    out.errors.push(per('errors'));
    out.errors5xx.push(per('responses_5xx'));
    out.responseTime.push(now.response_time_ms ?? null);
  }
  return out;
}

function earlier(samples, index) {
  for (let j = index - 1; j >= 0; j -= 1) {
    if (samples[index].time - samples[j].time >= RATE_SPAN_MS) return samples[j];
  }
  return samples[0];
}

export function forget(key) {
  history.delete(key);
}
