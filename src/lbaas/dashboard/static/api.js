// The REST API as the dashboard calls it: same origin, X-Auth-Token, Neutron error bodies.

const TOKEN_KEY = 'lbaas.token';
const ADMIN_KEY = 'lbaas.admin';

/** An answer other than 2xx, carrying the API's NeutronError type, message and detail. */
export class ApiError extends Error {
  constructor(status, type, message, detail = '') {
    super(message);
    this.status = status;
    this.type = type;
    this.detail = detail;
  }

  /** One line for people: the message and where it came from. */
  get summary() {
    return this.status ? `${this.message} (HTTP ${this.status} ${this.type})` : this.message;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  get admin() { return sessionStorage.getItem(ADMIN_KEY) === '1'; },
  start(token, admin) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(ADMIN_KEY, admin ? '1' : '0');
  },
  end() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ADMIN_KEY);
  },
};

async function call(method, path, body, { token = session.token, quiet = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers['X-Auth-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method, headers, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (exc) {
    throw new ApiError(0, 'NetworkError', `The API could not be reached (${exc.message})`);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw errorOf(response.status, data, quiet);
  return data;
}

function errorOf(status, data, quiet) {
  const err = data && (data.NeutronError ?? faultOf(data));
  const error = new ApiError(
    status, err?.type ?? 'HTTPError', err?.message ?? `The API answered HTTP ${status}`,
    err?.detail ?? '');
  if (status === 401 && !quiet) window.dispatchEvent(new CustomEvent('lbaas:unauthorized'));
  return error;
}

/** The v2 (Octavia) error body: {faultcode, faultstring}. */
function faultOf(data) {
  return typeof data.faultstring === 'string' ? { type: `${data.faultcode}Error`, message: data.faultstring } : null;
}

export const api = {
  get: (path) => call('GET', path),
  post: (path, body) => call('POST', path, body),
  put: (path, body) => call('PUT', path, body),
  del: (path) => call('DELETE', path),
  /** A GET with an explicit token, before it is kept (signing in). */
  probe: (path, token) => call('GET', path, undefined, { token, quiet: true }),
};
