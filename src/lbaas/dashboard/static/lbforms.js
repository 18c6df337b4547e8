// The create and edit forms of the load-balancing objects: pools, members, health monitors,
// VIPs; shared by the pages and by the guided flow (which uses the field lists).

import { api } from './api.js';
import { confirmDialog, notify } from './dom.js';
import { openForm } from './forms.js';
import { COOKIE_NAME } from './rules.js';
import { changed, data, find, poolLabel, poolOptions, subnetOptions } from './state.js';

const POOLS = '/v2.0/lb/pools';
const MEMBERS = '/v2.0/lb/members';
const MONITORS = '/v2.0/lb/health_monitors';
const VIPS = '/v2.0/lb/vips';
const ITEM = '/{object_id}';

const text = (name, label, extra = {}) => ({ name, label, kind: 'text', ...extra });
const number = (name, label, extra = {}) => ({ name, label, kind: 'number', ...extra });
const select = (name, label, extra = {}) => ({ name, label, kind: 'select', ...extra });
const checkbox = (name, label, extra = {}) => ({ name, label, kind: 'checkbox', default: true, ...extra });

const nameFields = (edit) => [
  text('name', 'Name', { empty: edit ? 'string' : 'omit' }),
  text('description', 'Description', { empty: edit ? 'string' : 'omit' }),
];

// -- pools ------------------------------------------------------------------------------------

export function poolFields(edit = false) {
  return [
    ...nameFields(edit),
    edit ? null : select('subnet_id', 'Subnet of the members', { options: subnetOptions(), blank: 'Choose a subnet', wide: true }),
    edit ? null : select('protocol', 'Protocol'),
    select('lb_method', 'Balancing method'),
    checkbox('admin_state_up', 'Enabled (admin state up)'),
  ].filter(Boolean);
}

export function createPool(done) {
  openForm({
    name: 'pool', title: 'New pool', submitLabel: 'Create pool', rules: ['post', POOLS],
    fields: poolFields(), values: { protocol: 'HTTP', lb_method: 'ROUND_ROBIN' },
    submit: (body) => api.post(POOLS, { pool: body }),
    done: (result) => finish(`Pool ${result.pool.name || result.pool.id} created.`, done, result.pool),
  });
}

export function editPool(pool) {
  const values = pickValues(pool, ['name', 'description', 'lb_method', 'admin_state_up']);
  openForm({
    name: 'pool-edit', title: `Edit pool ${pool.name || pool.id}`, rules: ['put', POOLS + ITEM],
    fields: poolFields(true), values, initial: values,
    submit: (body) => api.put(`${POOLS}/${pool.id}`, { pool: body }),
    done: () => finish('Pool saved.'),
  });
}

export async function deletePool(pool, done) {
  const label = pool.name || pool.id;
  await confirmDelete(`Delete pool ${label}?`, 'Its members go with it. A pool with a VIP cannot be deleted: delete the VIP first.',
    `${POOLS}/${pool.id}`, `Pool ${label} deleted.`, { done });
}

// -- members ----------------------------------------------------------------------------------

export function memberFields(edit = false) {
  return [
    select('pool_id', 'Pool', { options: poolOptions(), blank: 'Choose a pool' }),
    edit ? null : text('address', 'Address', { hint: 'IPv4 address of the server, e.g. 198.18.1.10' }),
    edit ? null : number('protocol_port', 'Port', { hint: '1–65535' }),
    number('weight', 'Weight', { default: '1', hint: '0–256; 0 takes it out of rotation', required: edit }),
    checkbox('admin_state_up', 'Enabled (admin state up)'),
  ].filter(Boolean);
}

/** The API's MemberExists rule: one member per address and port in a pool. */
export function duplicateMember(values, ignoreId = null) {
  const clash = data.members.find((m) => m.pool_id === values.pool_id && m.id !== ignoreId
    && m.address === values.address && String(m.protocol_port) === String(values.protocol_port).trim());
  return clash ? { address: `${values.address}:${values.protocol_port} is already a member of this pool.` } : {};
}

export function createMember(poolId = '', done = null) {
  openForm({
    name: 'member', title: 'New member', submitLabel: 'Add member', rules: ['post', MEMBERS],
    fields: memberFields(), values: { pool_id: poolId },
    check: (values) => duplicateMember(values),
    submit: (body) => api.post(MEMBERS, { member: body }),
    done: (result) => finish(`Member ${result.member.address}:${result.member.protocol_port} added.`, done, result.member),
  });
}

export function editMember(member) {
  const values = pickValues(member, ['pool_id', 'weight', 'admin_state_up']);
  openForm({
    name: 'member-edit', title: `Edit member ${member.address}:${member.protocol_port}`,
    rules: ['put', MEMBERS + ITEM], fields: memberFields(true), values, initial: values,
    submit: (body) => api.put(`${MEMBERS}/${member.id}`, { member: body }),
    done: () => finish('Member saved.'),
  });
}

export async function deleteMember(member) {
  const label = `${member.address}:${member.protocol_port}`;
  await confirmDelete(`Delete member ${label}?`, `It leaves pool ${poolLabel(member.pool_id)}.`,
    `${MEMBERS}/${member.id}`, `Member ${label} deleted.`);
}

// -- health monitors --------------------------------------------------------------------------

const isHttp = (type) => type === 'HTTP' || type === 'HTTPS';

/** delay >= timeout, as the API's DelayOrTimeoutInvalid rule. */
export function delayCoversTimeout(values) {
  const delay = Number(values.delay);
  const timeout = Number(values.timeout);
  if (values.delay === '' || values.timeout === '' || Number.isNaN(delay) || Number.isNaN(timeout)) return {};
  return delay < timeout ? { timeout: 'Must be no more than the delay: a check ends before the next one starts.' } : {};
}

export function monitorFields(edit = false, type = null) {
  const http = (values) => isHttp(edit ? type : values.type);
  return [
    edit ? null : select('type', 'Type', { default: 'HTTP' }),
    number('delay', 'Delay between checks (s)', { default: '5', required: true }),
    number('timeout', 'Timeout of a check (s)', { default: '3', required: true, hint: 'At most the delay' }),
    number('max_retries', 'Failures before a member is down', { default: '3', required: true, hint: '1–10' }),
    select('http_method', 'HTTP method', { default: 'GET', showIf: http }),
    text('url_path', 'URL path', {
      default: '/', showIf: http, required: edit,
      patternHint: "Must start with / and hold only URL characters (no spaces, quotes or '#').",
    }),
    text('expected_codes', 'Expected status codes', {
      default: '200', showIf: http, required: edit,
      hint: 'One code (200), a list (200, 202) or a range (200-299)',
      patternHint: 'HTTP codes (100-599): one (200), a list (200, 202) or a range (200-299).',
    }),
    checkbox('admin_state_up', 'Enabled (admin state up)'),
  ].filter(Boolean);
}

export function createMonitor(done = null) {
  openForm({
    name: 'monitor', title: 'New health monitor', submitLabel: 'Create monitor', rules: ['post', MONITORS],
    fields: monitorFields(), check: delayCoversTimeout,
    submit: (body) => api.post(MONITORS, { health_monitor: body }),
    done: (result) => finish(`Health monitor ${result.health_monitor.type} created.`, done, result.health_monitor),
  });
}

export function editMonitor(monitor) {
  const keys = ['delay', 'timeout', 'max_retries', 'http_method', 'url_path', 'expected_codes', 'admin_state_up'];
  const values = pickValues(monitor, keys);
  openForm({
    name: 'monitor-edit', title: `Edit ${monitor.type} health monitor`, rules: ['put', MONITORS + ITEM],
    fields: monitorFields(true, monitor.type), values, initial: values, check: delayCoversTimeout,
    submit: (body) => api.put(`${MONITORS}/${monitor.id}`, { health_monitor: body }),
    done: () => finish('Health monitor saved.'),
  });
}

export async function deleteMonitor(monitor) {
  await confirmDelete(`Delete this ${monitor.type} health monitor?`, 'A monitor still associated with a pool cannot be deleted: disassociate it first.',
    `${MONITORS}/${monitor.id}`, 'Health monitor deleted.');
}

/** Associate from either side: a pool chooses a monitor, or a monitor chooses a pool. */
export function associateMonitor({ pool = null, monitor = null }) {
  const fields = pool
    ? [select('health_monitor', 'Health monitor', { blank: 'Choose a monitor', required: true,
      options: data.health_monitors.filter((m) => !pool.health_monitors.includes(m.id))
        .map((m) => [m.id, `${m.type} every ${m.delay}s (${m.id.slice(0, 8)})`]) })]
    : [select('pool_id', 'Pool', { blank: 'Choose a pool', required: true,
      options: poolOptions((p) => !monitor.pools.some((a) => a.pool_id === p.id)) })];
  openForm({
    name: 'associate', title: pool ? `Associate a monitor with ${pool.name || pool.id}` : 'Associate with a pool',
    submitLabel: 'Associate', fields,
    submit: (body) => associate(pool ? pool.id : body.pool_id, pool ? body.health_monitor : monitor.id),
    done: () => finish('Health monitor associated.'),
  });
}

export function associate(poolId, monitorId) {
  return api.post(`${POOLS}/${poolId}/health_monitors`, { health_monitor: { id: monitorId } });
}

export async function disassociate(poolId, monitorId) {
  await removing(`${POOLS}/${poolId}/health_monitors/${monitorId}`, `Health monitor disassociated from ${poolLabel(poolId)}.`);
}

// -- VIPs -------------------------------------------------------------------------------------

export function vipFields(edit = false) {
  return [
    ...nameFields(edit),
    select('pool_id', 'Pool', { blank: 'Choose a pool', required: true,
      options: poolOptions((p) => edit || !p.vip_id) }),
    edit ? null : select('subnet_id', 'Subnet of the VIP', { options: subnetOptions(), blank: 'Choose a subnet' }),
    edit ? null : select('protocol', 'Protocol'),
    edit ? null : number('protocol_port', 'Port', { default: '80' }),
    edit ? null : text('address', 'Address', { hint: 'Leave empty to take a free address of the subnet' }),
    ...persistenceFields(),
    number('connection_limit', 'Connection limit', { default: '-1', hint: '-1 for no limit', required: edit }),
    checkbox('admin_state_up', 'Enabled (admin state up)'),
  ].filter(Boolean);
}

export function persistenceFields() {
  return [
    select('sp_type', 'Session persistence', { rule: 'session_persistence.type', blank: 'None', send: false }),
    text('sp_cookie', 'Application cookie name', {
      rule: 'session_persistence.cookie_name', send: false, required: true,
      showIf: (values) => values.sp_type === 'APP_COOKIE',
      check: (value) => (COOKIE_NAME.test(value) ? null : '1–64 letters, digits, _ . or -.'),
    }),
  ];
}

/** session_persistence from the two form fields; on an edit only when they changed. */
export function withPersistence(values, body, initial = null) {
  const same = initial && initial.sp_type === values.sp_type
    && (values.sp_type !== 'APP_COOKIE' || initial.sp_cookie === values.sp_cookie);
  if (same || (!initial && !values.sp_type)) return body;
  const persistence = values.sp_type ? { type: values.sp_type } : null;
  if (values.sp_type === 'APP_COOKIE') persistence.cookie_name = values.sp_cookie;
  return { ...body, session_persistence: persistence };
}

/** The API's VipExists and ProtocolMismatch rules, against the chosen pool. */
export function vipFitsPool(values) {
  const pool = find('pools', values.pool_id);
  if (!pool) return {};
  if (pool.vip_id) return { pool_id: 'This pool has a VIP already.' };
  if (values.protocol && values.protocol !== pool.protocol) {
    return { protocol: `Must match the pool's protocol (${pool.protocol}).` };
  }
  return {};
}

export function createVip(poolId = '', done = null) {
  const pool = find('pools', poolId);
  const dialog = openForm({
    name: 'vip', title: 'New VIP', submitLabel: 'Create VIP', rules: ['post', VIPS], fields: vipFields(),
    values: { pool_id: poolId, subnet_id: pool?.subnet_id ?? '', protocol: pool?.protocol ?? 'HTTP',
      protocol_port: pool?.protocol === 'HTTPS' ? '443' : '80' },
    check: vipFitsPool,
    toBody: (values, body) => withPersistence(values, body),
    submit: (body) => api.post(VIPS, { vip: body }),
    done: (result) => finish(`VIP ${result.vip.address}:${result.vip.protocol_port} created.`, done, result.vip),
  });
  const poolSelect = dialog.querySelector('select[name="pool_id"]');
  poolSelect.addEventListener('change', () => followPool(dialog, find('pools', poolSelect.value)));
}

function followPool(dialog, pool) {
  if (!pool) return;
  dialog.querySelector('select[name="subnet_id"]').value = pool.subnet_id;
  dialog.querySelector('select[name="protocol"]').value = pool.protocol;
}

export function editVip(vip) {
  const values = {
    ...pickValues(vip, ['name', 'description', 'pool_id', 'connection_limit', 'admin_state_up']),
    sp_type: vip.session_persistence?.type ?? '', sp_cookie: vip.session_persistence?.cookie_name ?? '',
  };
  openForm({
    name: 'vip-edit', title: `Edit VIP ${vip.name || vip.address}`, rules: ['put', VIPS + ITEM],
    fields: vipFields(true), values, initial: values,
    toBody: (current, body) => withPersistence(current, body, values),
    submit: (body) => api.put(`${VIPS}/${vip.id}`, { vip: body }),
    done: () => finish('VIP saved.'),
  });
}

export async function deleteVip(vip) {
  const label = vip.name || vip.address;
  await confirmDelete(`Delete VIP ${label}?`, 'Clients stop reaching the pool through it; a floating IP on it is disassociated and kept.',
    `${VIPS}/${vip.id}`, `VIP ${label} deleted.`);
}

// -- shared -----------------------------------------------------------------------------------

export function pickValues(object, keys) {
  const values = {};
  for (const key of keys) {
    const value = object[key];
    values[key] = typeof value === 'boolean' ? value : value === null || value === undefined ? '' : String(value);
  }
  return values;
}

export function finish(message, done = null, result = null) {
  notify(message);
  changed();
  if (done) done(result);
}

/** Ask, then DELETE from the dialog; the API's refusal (e.g. in use) shows there, open. */
export async function confirmDelete(title, text, path, message, { done = null, label = 'Delete' } = {}) {
  if (await confirmDialog(title, text, label, () => api.del(path))) finish(message, done);
}

/** DELETE without asking (a disassociation), the outcome as a notice. */
export async function removing(path, message, done = null) {
  try {
    await api.del(path);
  } catch (exc) {
    notify(`Not deleted: ${exc.summary ?? exc.message}`, { bad: true });
    return false;
  }
  finish(message, done);
  return true;
}
