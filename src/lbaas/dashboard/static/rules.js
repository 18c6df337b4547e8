// The API's input rules, read from /openapi.json (required attributes, enums, integer ranges,
// patterns, formats) so a form refuses what the API would refuse before anything is sent.
// A few rules the document cannot express are mirrored here from src/lbaas/api/v1/validators.py
// and the service layer; the API checks them all again and its answer is shown when it refuses.

let doc = null;

export async function loadRules() {
  if (doc) return;
  const response = await fetch('/openapi.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/openapi.json answered HTTP ${response.status}`);
  doc = await response.json();
}

/** The attributes a request accepts: {props, required} for e.g. ('post', '/v2.0/lb/pools'). */
export function requestRules(method, path) {
  const op = doc?.paths?.[path]?.[method];
  const body = op?.requestBody?.content?.['application/json']?.schema;
  if (!body) throw new Error(`no request schema for ${method.toUpperCase()} ${path}`);
  const inner = body.properties[body.required[0]];
  return { props: inner.properties ?? {}, required: new Set(inner.required ?? []) };
}

/** Switch off client-side checks (to see the API's own answers): sessionStorage flag. */
export function clientChecksEnabled() {
  return sessionStorage.getItem('lbaas.clientChecks') !== 'off';
}

// validators.py: every string <= 255 characters, no control characters.
const MAX_STRING = 255;
const CONTROL = /[\x00-\x1f\x7f]/;
const INTEGER = /^ *[+-]?[0-9]{1,18} *$/;
const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// validators.py COOKIE_NAME and BRIDGE_NAME (not in the OpenAPI document).
export const COOKIE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const BRIDGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.\-]{0,14}$/;

/** The schema of an attribute, following a dotted path into objects ('a.b'). */
export function propAt(props, path) {
  const [head, ...rest] = path.split('.');
  let prop = props[head];
  for (const part of rest) prop = prop?.properties?.[part];
  return prop;
}

/** Why `raw` (a form value: string or boolean) breaks the attribute's schema, or null. */
export function checkValue(prop, raw, { required = false, hints = {} } = {}) {
  if (raw === '' || raw === null || raw === undefined) return required ? 'Required.' : null;
  if (typeof raw === 'boolean' || !prop) return null;
  const integer = integerBranch(prop);
  if (integer) return checkInteger(integer, raw);
  if (prop.enum && !prop.enum.map(String).includes(String(raw))) {
    return `Must be one of ${prop.enum.join(', ')}.`;
  }
  return checkString(prop, String(raw), hints);
}

function integerBranch(prop) {
  if (prop.type === 'integer' && !prop.enum) return prop;
  return (prop.oneOf ?? []).find((branch) => branch.type === 'integer') ?? null;
}

function checkInteger(rule, raw) {
  if (!INTEGER.test(String(raw))) return 'Must be a whole number.';
  const value = Number(raw);
  if (rule.minimum !== undefined && value < rule.minimum) return `Must be at least ${rule.minimum}.`;
  if (rule.maximum !== undefined && value > rule.maximum) {
    return `Must be no more than ${rule.maximum}.`;
  }
  return null;
}

function checkString(prop, text, hints) {
  if (CONTROL.test(text)) return 'Control characters (such as a newline) are not allowed.';
  if (text.length > MAX_STRING) return `At most ${MAX_STRING} characters.`;
  if (prop.format === 'ipv4' && !IPV4.test(text)) return 'Must be an IPv4 address such as 198.18.1.10.';
  if (prop.format === 'uuid' && !UUID.test(text)) return 'Must be an id (a UUID).';
  if (prop.pattern && !new RegExp(prop.pattern).test(text)) {
    return hints.pattern ?? `Does not match the pattern ${prop.pattern}.`;
  }
  return null;
}

export function isIpv4(text) {
  return IPV4.test(text);
}

function ipToNumber(text) {
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** validators.cidr: an IPv4 network written exactly (no host bits), prefix at most /30. */
export function checkCidr(text) {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
  if (!match || !isIpv4(match[1]) || Number(match[2]) > 32) {
    return 'Must be an IPv4 subnet such as 198.18.1.0/24.';
  }
  const prefix = Number(match[2]);
  const size = 2 ** (32 - prefix);
  const base = ipToNumber(match[1]);
  const network = base - (base % size);
  if (network !== base) return `Not a network address: ${numberToIp(network)}/${prefix} is.`;
  if (prefix > 30) return 'Too small: the prefix length must be at most 30.';
  return null;
}

function numberToIp(n) {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Whether an IPv4 address lies inside a CIDR (used for hints, not as an API rule). */
export function inCidr(address, cidr) {
  if (!isIpv4(address) || !cidr) return false;
  const [net, prefix] = cidr.split('/');
  const size = 2 ** (32 - Number(prefix));
  return Math.floor(ipToNumber(address) / size) === Math.floor(ipToNumber(net) / size);
}

/**
 * Which form field an API refusal is about: from its type, the attribute its message names, or
 * the one field holding the value it quotes ("Invalid input for operation: 'x' is not an
 * integer", "IP address a.b.c.d is not a valid IP ..."). null when it is about the whole form.
 */
export function fieldOfError(error, names, values = {}) {
  const byType = {
    DelayOrTimeoutInvalid: 'timeout', MemberExists: 'address', VipExists: 'pool_id',
    ProtocolMismatch: 'protocol', IpAddressInUse: 'address',
    PoolMonitorAssociationExists: 'health_monitor', FloatingIPPortAlreadyAssociated: 'port_id',
    GatewayConflictWithAllocationPools: 'gateway_ip', OutOfBoundsAllocationPool: 'allocation_pools',
    OverlappingAllocationPools: 'allocation_pools',
  };
  const candidates = [byType[error.type]];
  for (const pattern of [/Invalid input for ([\w:]+)\./, /attribute '([\w:]+)'/, /field\/attribute (?:\w+\.)?(\w+)/]) {
    candidates.push(pattern.exec(error.message)?.[1]);
  }
  if (/^Port [0-9]+ of load balancer .* is already used/.test(error.message)) candidates.push('protocol_port');
  const quoted = /^Invalid input for operation: '([^']*)'/.exec(error.message)?.[1]
    ?? /IP address ([0-9.]+) /.exec(error.message)?.[1];
  if (quoted !== undefined) {
    const holders = names.filter((name) => String(values[name] ?? '').trim() === quoted);
    if (holders.length === 1) candidates.push(holders[0]);
  }
  return candidates.find((name) => name && names.includes(name)) ?? null;
}
