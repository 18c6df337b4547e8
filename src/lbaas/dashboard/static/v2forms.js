// The create and edit forms of the v2 objects under a load balancer: the load balancer itself,
// listeners, pools, members and health monitors. The API judges every value; its refusal is
// shown at the field it names (or above the form), as on the v1 pages.

import { api } from './api.js';
import { openForm } from './forms.js';
import { confirmDelete, finish, pickValues } from './lbforms.js';
import { subnetOptions } from './state.js';
import { poolOptionsV2, secretName, V2, v2 } from './v2state.js';

const text = (name, label, extra = {}) => ({ name, label, kind: 'text', ...extra });
const number = (name, label, extra = {}) => ({ name, label, kind: 'number', ...extra });
const choice = (name, label, values, extra = {}) => ({
  name, label, kind: 'select', options: values.map((v) => (Array.isArray(v) ? v : [v, v.replaceAll('_', ' ')])), ...extra,
});
const enabled = () => ({ name: 'admin_state_up', label: 'Enabled (admin state up)', kind: 'checkbox', default: true });
const named = (edit) => text('name', 'Name', { empty: edit ? 'string' : 'omit' });

/**
 * One noun's create or edit form. noun: {key (the request's root), title, path(parent or object)
 * -> collection path, parentBody(parent) -> the parent's id attribute, fields(edit, object),
 * editable (attributes an edit starts from), label(object)}; `create` is the parent, `edit` the
 * object, `extra` the create form's first values.
 */
function v2Form(noun, { create = null, edit = null, extra = {} }) {
  if (create) {
    openForm({
      name: `v2-${noun.key}`, title: `New ${noun.title}`, submitLabel: `Add ${noun.title}`,
      fields: noun.fields(false, null, create), values: extra,
      submit: (body) => api.post(noun.path(create), { [noun.key]: { ...body, ...noun.parentBody(create) } }),
      done: (result) => finish(`${capital(noun.title)} ${noun.label(result[noun.key])} added.`),
    });
    return;
  }
  const values = pickValues(edit, noun.editable);
  openForm({
    name: `v2-${noun.key}-edit`, title: `Edit ${noun.title} ${noun.label(edit)}`,
    fields: noun.fields(true, edit), values, initial: values,
    submit: (body) => api.put(`${noun.path(edit)}/${edit.id}`, { [noun.key]: body }),
    done: () => finish(`${capital(noun.title)} saved.`),
  });
}

function v2Delete(noun, object, text, query = '', done = null) {
  const label = noun.label(object);
  return confirmDelete(`Delete ${noun.title} ${label}?`, text, `${noun.path(object)}/${object.id}${query}`,
    `${capital(noun.title)} ${label} deleted.`, { done });
}

const capital = (s) => s[0].toUpperCase() + s.slice(1);
const orId = (o) => o.name || o.id.slice(0, 8);

// -- load balancers -----------------------------------------------------------------------------

const LB = {
  key: 'loadbalancer', title: 'load balancer', path: () => `${V2}/loadbalancers`, parentBody: () => ({}),
  editable: ['name', 'description', 'admin_state_up'], label: orId,
  fields: (edit) => [
    named(edit), text('description', 'Description', { empty: edit ? 'string' : 'omit' }),
    edit ? null : choice('vip_subnet_id', 'Subnet of the VIP', subnetOptions(), { blank: 'Choose a subnet', required: true, wide: true }),
    edit ? null : text('vip_address', 'VIP address', { hint: 'Empty: the next free address of the subnet' }),
    enabled(),
  ].filter(Boolean),
};

export const createLoadBalancer = () => v2Form(LB, { create: {} });
export const editLoadBalancer = (lb) => v2Form(LB, { edit: lb });
export const deleteLoadBalancer = (lb, done = null) => v2Delete(LB, lb,
  'Its listeners, policies, pools, members and monitors go with it (a cascade delete).', '?cascade=true', done);

// -- listeners ----------------------------------------------------------------------------------

const PROTOCOLS = ['HTTP', 'HTTPS', 'TERMINATED_HTTPS', 'TCP', 'UDP'];

export function certificateOptions() {
  return (v2.tree?.secrets ?? []).map((s) => [s.secret_ref, s.name || secretName(s.secret_ref)]);
}

const LISTENER = {
  key: 'listener', title: 'listener', path: () => `${V2}/listeners`,
  parentBody: (parent) => ({ loadbalancer_id: parent.lbId }),
  editable: ['name', 'default_pool_id', 'connection_limit', 'default_tls_container_ref', 'admin_state_up'],
  label: (l) => `${l.protocol}:${l.protocol_port}${l.name ? ` (${l.name})` : ''}`,
  fields: (edit, listener) => {
    const tls = (values) => (edit ? listener.protocol : values.protocol) === 'TERMINATED_HTTPS';
    return [
      named(edit),
      edit ? null : choice('protocol', 'Protocol', PROTOCOLS, { required: true }),
      edit ? null : number('protocol_port', 'Port', { required: true, hint: '1–65535' }),
      choice('default_pool_id', 'Default pool', poolOptionsV2(), { blank: 'none', empty: edit ? 'null' : 'omit' }),
      number('connection_limit', 'Connection limit', { hint: '-1: no limit', empty: 'omit' }),
      choice('default_tls_container_ref', 'Certificate', certificateOptions(), {
        blank: 'Choose a certificate', showIf: tls, wide: true, empty: 'omit' }),
      enabled(),
    ].filter(Boolean);
  },
};

export const createListener = (lbId) => v2Form(LISTENER, { create: { lbId }, extra: { protocol: 'HTTP' } });
export const editListener = (listener) => v2Form(LISTENER, { edit: listener });
export const deleteListener = (listener) => v2Delete(LISTENER, listener, 'Its L7 policies go with it; its pools stay.');

// -- pools --------------------------------------------------------------------------------------

const POOL = {
  key: 'pool', title: 'pool', path: () => `${V2}/pools`,
  parentBody: (parent) => ({ loadbalancer_id: parent.lbId }),
  editable: ['name', 'lb_algorithm', 'admin_state_up'], label: orId,
  fields: (edit) => [
    named(edit),
    edit ? null : choice('protocol', 'Protocol', ['HTTP', 'HTTPS', 'PROXY', 'TCP', 'UDP'], { required: true }),
    choice('lb_algorithm', 'Balancing method', ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP'], { required: true }),
    enabled(),
  ].filter(Boolean),
};

export const createPoolV2 = (lbId) => v2Form(POOL, { create: { lbId } });
export const editPoolV2 = (pool) => v2Form(POOL, { edit: pool });
export const deletePoolV2 = (pool) => v2Delete(POOL, pool, 'Its members and monitor go with it. A pool a listener or policy uses cannot be deleted.');

// -- members ------------------------------------------------------------------------------------

const MEMBER = {
  key: 'member', title: 'member', path: (m) => `${V2}/pools/${m.poolId}/members`, parentBody: () => ({}),
  editable: ['name', 'weight', 'backup', 'admin_state_up'],
  label: (m) => `${m.address}:${m.protocol_port}`,
  fields: (edit) => [
    named(edit),
    edit ? null : text('address', 'Address', { required: true, hint: 'IPv4 address of the server, e.g. 198.18.1.10' }),
    edit ? null : number('protocol_port', 'Port', { required: true, hint: '1–65535' }),
    number('weight', 'Weight', { default: '1', hint: '0–256; 0 takes it out of rotation', empty: 'omit' }),
    { name: 'backup', label: 'Backup (used only when the others are down)', kind: 'checkbox', default: false },
    enabled(),
  ].filter(Boolean),
};

export const createMemberV2 = (poolId) => v2Form(MEMBER, { create: { poolId } });
export const editMemberV2 = (poolId, member) => v2Form(MEMBER, { edit: { ...member, poolId } });
export const deleteMemberV2 = (poolId, member) => v2Delete(MEMBER, { ...member, poolId }, 'It leaves the pool at once.');

// -- health monitors ----------------------------------------------------------------------------

const isHttp = (type) => type === 'HTTP' || type === 'HTTPS';

const MONITOR = {
  key: 'healthmonitor', title: 'health monitor', path: () => `${V2}/healthmonitors`,
  parentBody: (parent) => ({ pool_id: parent.poolId }),
  editable: ['delay', 'timeout', 'max_retries', 'http_method', 'url_path', 'expected_codes', 'admin_state_up'],
  label: (m) => m.type,
  fields: (edit, monitor) => {
    const http = (values) => isHttp(edit ? monitor.type : values.type);
    return [
      edit ? null : choice('type', 'Type', ['HTTP', 'HTTPS', 'TCP', 'PING', 'TLS-HELLO'], { required: true }),
      number('delay', 'Delay between checks (s)', { default: '5', required: true }),
      number('timeout', 'Timeout of a check (s)', { default: '3', required: true, hint: 'At most the delay' }),
      number('max_retries', 'Successes before a member is up again', { default: '3', required: true, hint: '1–10' }),
      choice('http_method', 'HTTP method', ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'], { showIf: http }),
      text('url_path', 'URL path', { default: '/', showIf: http }),
      text('expected_codes', 'Expected status codes', { default: '200', showIf: http, hint: '200, 200,202 or 200-299' }),
      enabled(),
    ].filter(Boolean);
  },
};

export const createMonitorV2 = (poolId) => v2Form(MONITOR, { create: { poolId }, extra: { type: 'HTTP' } });
export const editMonitorV2 = (monitor) => v2Form(MONITOR, { edit: monitor });
export const deleteMonitorV2 = (monitor) => v2Delete(MONITOR, monitor, 'Its pool\'s members are no longer checked.');
