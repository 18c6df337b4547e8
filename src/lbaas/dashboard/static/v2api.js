// Calls to the Octavia v2 API and the Barbican-compatible /v1, whose refusals are not Neutron's:
// v2 answers {faultstring}, /v1 {title, description}. Both become an ApiError like api.js's.

import { ApiError, session } from './api.js';

async function call(method, path, body, { text = false } = {}) {
  const headers = { Accept: text ? 'text/plain' : 'application/json' };
  if (session.token) headers['X-Auth-Token'] = session.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (exc) {
    throw new ApiError(0, 'NetworkError', `The API could not be reached (${exc.message})`);
  }
  if (response.ok && (response.status === 204 || text)) return response.status === 204 ? null : response.text();
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  if (response.status === 401) window.dispatchEvent(new CustomEvent('lbaas:unauthorized'));
  const message = data?.faultstring ?? data?.description ?? data?.NeutronError?.message
    ?? `The API answered HTTP ${response.status}`;
  const type = data?.title ?? data?.NeutronError?.type ?? (data?.faultcode ? `${data.faultcode} fault` : 'HTTPError');
  throw new ApiError(response.status, type, message);
}

export const v2 = {
  get: (path) => call('GET', path),
  post: (path, body) => call('POST', path, body),
  put: (path, body) => call('PUT', path, body),
  del: (path) => call('DELETE', path),
  /** A payload as text (a secret's PEM). */
  text: (path) => call('GET', path, undefined, { text: true }),
};

/** The id at the end of a ref (`.../v1/containers/<id>`), or the ref itself. */
export function refId(ref) {
  return ref ? ref.replace(/\/+$/, '').split('/').pop() : '';
}

/** Every item of a paged v2 list (`limit` and `marker`) or /v1 list (`limit` and `offset`). */
export async function listAll(path, key) {
  const items = [];
  const joiner = path.includes('?') ? '&' : '?';
  if (path.startsWith('/v1/')) {
    for (let offset = 0; ; offset += 100) {
      const page = await v2.get(`${path}${joiner}limit=100&offset=${offset}`);
      items.push(...page[key]);
      if (page[key].length < 100) return items;
    }
  }
  for (let marker = null; ;) {
    const page = await v2.get(`${path}${joiner}limit=500${marker ? `&marker=${marker}` : ''}`);
    items.push(...page[key]);
    if (page[key].length < 500) return items;
    marker = page[key][page[key].length - 1].id;
  }
}

/**
 * The update() of a view that fetches its own data: `load()` at most once every `every` ms (never
 * two at once), `draw(data)` after each; a failure is drawn by `failed(exc)`.
 */
export function selfLoading(load, draw, failed, every = 1500) {
  let busy = false;
  let last = 0;
  const update = async () => {
    if (busy || Date.now() - last < every) return;
    busy = true;
    last = Date.now();
    try {
      draw(await load());
    } catch (exc) {
      failed(exc);
    } finally {
      busy = false;
    }
  };
  /** Fetch again now (after a change made here). */
  update.force = () => { last = 0; return update(); };
  return update;
}
