// The L7 policy editor: each policy of a listener reads as the rule it makes ("Requests whose path
// starts with /api go to pool api"), in the order HAProxy tries them, with add, edit, delete and
// move up/down for policies and add, edit, delete for their rules.

import { api } from './api.js';
import { badge, button, h, notify } from './dom.js';
import { openForm } from './forms.js';
import { confirmDelete, finish, pickValues } from './lbforms.js';
import { changed } from './state.js';
import { poolName, poolOptionsV2, V2 } from './v2state.js';

const POLICIES = `${V2}/l7policies`;
const ACTIONS = ['REDIRECT_TO_POOL', 'REDIRECT_TO_URL', 'REDIRECT_PREFIX', 'REJECT'];
const RULE_TYPES = ['PATH', 'HOST_NAME', 'HEADER', 'COOKIE', 'FILE_TYPE', 'SSL_CONN_HAS_CERT', 'SSL_VERIFY_RESULT', 'SSL_DN_FIELD'];
const COMPARES = ['STARTS_WITH', 'ENDS_WITH', 'EQUAL_TO', 'CONTAINS', 'REGEX'];
const KEYED = new Set(['HEADER', 'COOKIE', 'SSL_DN_FIELD']);

// -- the sentences ------------------------------------------------------------------------------

const SUBJECTS = {
  PATH: () => 'path', HOST_NAME: () => 'host name', FILE_TYPE: () => 'file type',
  HEADER: (key) => `header ${key}`, COOKIE: (key) => `cookie ${key}`,
  SSL_DN_FIELD: (key) => `client certificate's ${key}`,
  SSL_VERIFY_RESULT: () => 'client certificate check result', SSL_CONN_HAS_CERT: () => 'client certificate presence',
};
const VERBS = {
  STARTS_WITH: ['starts with', 'does not start with'], ENDS_WITH: ['ends with', 'does not end with'],
  EQUAL_TO: ['is', 'is not'], CONTAINS: ['contains', 'does not contain'],
  REGEX: ['matches', 'does not match'],
};

/** "whose path starts with /api" */
export function ruleText(rule) {
  const subject = (SUBJECTS[rule.type] ?? (() => rule.type.toLowerCase()))(rule.key || '?');
  const verb = VERBS[rule.compare_type]?.[rule.invert ? 1 : 0] ?? rule.compare_type;
  return `whose ${subject} ${verb} ${rule.value}`;
}

/** "go to pool api", "are redirected to https://…", "are rejected" */
export function actionText(policy) {
  const code = policy.redirect_http_code ? ` (HTTP ${policy.redirect_http_code})` : '';
  switch (policy.action) {
    case 'REDIRECT_TO_POOL': return `go to pool ${poolName(policy.redirect_pool_id)}`;
    case 'REDIRECT_TO_URL': return `are redirected to ${policy.redirect_url}${code}`;
    case 'REDIRECT_PREFIX': return `are redirected to the prefix ${policy.redirect_prefix}${code}`;
    case 'REJECT': return 'are rejected';
    default: return policy.action;
  }
}

/** The whole policy as one sentence. */
export function policyText(policy) {
  const rules = policy.rules ?? [];
  if (!rules.length) return `No rules yet: this policy matches no request (it would: requests … ${actionText(policy)}).`;
  return `Requests ${rules.map(ruleText).join(' and ')} ${actionText(policy)}.`;
}

// -- the editor ---------------------------------------------------------------------------------

/** The policies of one listener, in order, with their buttons; `defaultPool` ends the list. */
export function policyList(listener, policies) {
  const label = `L7 policies of ${listener.protocol}:${listener.protocol_port}`;
  const items = policies.map((policy, index) => policyItem(policy, index, policies.length));
  const fallthrough = listener.default_pool_id
    ? `Other requests go to pool ${poolName(listener.default_pool_id)} (the default pool).`
    : 'Other requests are refused: the listener has no default pool.';
  return h('div', { class: 'l7' },
    items.length ? h('ol', { class: 'policies', 'aria-label': label }, items)
      : h('p', { class: 'empty' }, 'No L7 policies: every request goes the same way.'),
    h('p', { class: 'fallthrough' }, fallthrough),
    button('Add L7 policy', () => createPolicy(listener), { kind: 'small', key: `add-policy-${listener.id}` }));
}

function policyItem(policy, index, count) {
  const key = (what) => `${what}-policy-${policy.id}`;
  const name = policy.name || `at position ${policy.position}`;
  // aria-disabled, not disabled: a button that just moved its policy to an end keeps focus
  const up = button('Move up', () => index > 0 && move(policy, -1), { kind: 'small', key: key('up'), aria: `Move policy ${name} up` });
  const down = button('Move down', () => index < count - 1 && move(policy, +1), { kind: 'small', key: key('down'), aria: `Move policy ${name} down` });
  if (index === 0) up.setAttribute('aria-disabled', 'true');
  if (index === count - 1) down.setAttribute('aria-disabled', 'true');
  return h('li', { class: 'policy', 'data-policy': policy.id, 'data-position': policy.position },
    h('p', { class: 'sentence' }, policyText(policy), ' ', badge(policy.provisioning_status),
      policy.admin_state_up ? null : h('span', { class: 'muted' }, ' (disabled)')),
    (policy.rules ?? []).length ? h('ul', { class: 'rules' }, policy.rules.map((rule) => ruleItem(policy, rule))) : null,
    h('div', { class: 'actions' }, up, down,
      button('Edit', () => editPolicy(policy), { kind: 'small', key: key('edit'), aria: `Edit policy ${name}` }),
      button('Add rule', () => createRule(policy), { kind: 'small', key: key('rule'), aria: `Add a rule to policy ${name}` }),
      button('Delete', () => deletePolicy(policy), { kind: 'small danger', key: key('delete'), aria: `Delete policy ${name}` })));
}

function ruleItem(policy, rule) {
  const key = (what) => `${what}-rule-${rule.id}`;
  return h('li', { 'data-rule': rule.id }, h('span', {}, ruleText(rule)), ' ',
    button('Edit', () => editRule(policy, rule), { kind: 'small', key: key('edit'), aria: `Edit rule ${ruleText(rule)}` }),
    button('Delete', () => deleteRule(policy, rule), { kind: 'small danger', key: key('delete'), aria: `Delete rule ${ruleText(rule)}` }));
}

/** One step earlier (-1) or later (+1): the API renumbers the others. */
async function move(policy, step) {
  try {
    await api.put(`${POLICIES}/${policy.id}`, { l7policy: { position: policy.position + step } });
  } catch (exc) {
    notify(`Not moved: ${exc.summary ?? exc.message}`, { bad: true });
    return;
  }
  notify(`Policy moved to position ${policy.position + step}.`);
  changed();
}

// -- the forms ----------------------------------------------------------------------------------

const choice = (name, label, values, extra = {}) => ({
  name, label, kind: 'select', options: values.map((v) => [v, v.replaceAll('_', ' ').toLowerCase()]), ...extra,
});
const text = (name, label, extra = {}) => ({ name, label, kind: 'text', ...extra });
const redirects = (v) => v.action === 'REDIRECT_TO_URL' || v.action === 'REDIRECT_PREFIX';

function policyFields(edit) {
  return [
    text('name', 'Name', { empty: edit ? 'string' : 'omit' }),
    choice('action', 'Then', ACTIONS, { required: true }),
    choice('redirect_pool_id', 'Pool', [], { options: poolOptionsV2(), blank: 'Choose a pool', showIf: (v) => v.action === 'REDIRECT_TO_POOL' }),
    text('redirect_url', 'Redirect to URL', { showIf: (v) => v.action === 'REDIRECT_TO_URL', placeholder: 'https://example.org/' }),
    text('redirect_prefix', 'Redirect to prefix', { showIf: (v) => v.action === 'REDIRECT_PREFIX', placeholder: 'https://example.org' }),
    choice('redirect_http_code', 'Redirect code', ['302', '301', '303', '307', '308'], { showIf: redirects }),
    { name: 'position', label: 'Position', kind: 'number', empty: 'omit', hint: '1 is tried first; empty: last' },
    { name: 'admin_state_up', label: 'Enabled (admin state up)', kind: 'checkbox', default: true },
  ];
}

function ruleFields(prefix = '') {
  const keyed = (v) => KEYED.has(v[`${prefix}type`]);
  return [
    choice(`${prefix}type`, 'Requests whose', RULE_TYPES, { rule: 'type', required: true }),
    text(`${prefix}key`, 'Name (of the header, cookie or field)', { rule: 'key', showIf: keyed, empty: 'omit' }),
    { name: `${prefix}invert`, label: 'does not (inverts the comparison)', kind: 'checkbox', default: false, rule: 'invert' },
    choice(`${prefix}compare_type`, 'Comparison', COMPARES, { rule: 'compare_type', required: true }),
    text(`${prefix}value`, 'Value', { rule: 'value', required: true, placeholder: '/api' }),
  ];
}

/** The sentence the form would make, kept current as the reader types. */
function preview(dialog, withRule) {
  const out = h('p', { class: 'sentence preview', 'aria-live': 'polite', 'data-testid': 'policy-preview' });
  const read = (name) => dialog.querySelector(`[name="${name}"]`);
  const draw = () => {
    const value = (name) => { const el = read(name); return el ? (el.type === 'checkbox' ? el.checked : el.value) : ''; };
    const policy = {
      action: value('action'), redirect_pool_id: value('redirect_pool_id'), redirect_url: value('redirect_url'),
      redirect_prefix: value('redirect_prefix'), redirect_http_code: value('redirect_http_code'),
      rules: withRule ? [{ type: value('rule_type'), key: value('rule_key'), invert: value('rule_invert'),
        compare_type: value('rule_compare_type'), value: value('rule_value') || '…' }] : withRule === false ? [] : null,
    };
    out.textContent = policy.rules ? policyText(policy) : `Matching requests ${actionText(policy)}.`;
  };
  dialog.addEventListener('input', draw);
  dialog.addEventListener('change', draw);
  dialog.querySelector('form h2').after(out);
  draw();
}

function codeAsNumber(body) {
  if (body.redirect_http_code) body.redirect_http_code = Number(body.redirect_http_code);
  return body;
}

function createPolicy(listener) {
  const dialog = openForm({
    name: 'l7policy', title: `New L7 policy on ${listener.protocol}:${listener.protocol_port}`, submitLabel: 'Add policy',
    fields: [...ruleFields('rule_'), ...policyFields(false)],
    values: { action: 'REDIRECT_TO_POOL', rule_type: 'PATH', rule_compare_type: 'STARTS_WITH' },
    toBody: (values, body) => {
      const rule = { type: body.type, compare_type: body.compare_type, value: body.value, invert: body.invert, key: body.key };
      for (const name of Object.keys(rule)) delete body[name];
      if (rule.key === undefined) delete rule.key;
      return codeAsNumber({ ...body, listener_id: listener.id, rules: [rule] });
    },
    submit: (body) => api.post(POLICIES, { l7policy: body }),
    done: (result) => finish(`Policy added at position ${result.l7policy.position}.`),
  });
  preview(dialog, true);
}

function editPolicy(policy) {
  const values = pickValues(policy, ['name', 'action', 'redirect_pool_id', 'redirect_url', 'redirect_prefix', 'redirect_http_code', 'position', 'admin_state_up']);
  const dialog = openForm({
    name: 'l7policy-edit', title: `Edit L7 policy at position ${policy.position}`,
    fields: policyFields(true), values, initial: values, toBody: (v, body) => codeAsNumber(body),
    submit: (body) => api.put(`${POLICIES}/${policy.id}`, { l7policy: body }),
    done: () => finish('Policy saved.'),
  });
  preview(dialog, null);
}

function deletePolicy(policy) {
  return confirmDelete(`Delete the policy at position ${policy.position}?`, policyText(policy),
    `${POLICIES}/${policy.id}`, 'Policy deleted.');
}

function createRule(policy) {
  openForm({
    name: 'l7rule', title: `New rule of the policy at position ${policy.position}`, submitLabel: 'Add rule',
    intro: h('p', { class: 'hint' }, 'A request matches the policy when it matches all of its rules.'),
    fields: ruleFields(), values: { type: 'PATH', compare_type: 'STARTS_WITH' },
    submit: (body) => api.post(`${POLICIES}/${policy.id}/rules`, { rule: body }),
    done: () => finish('Rule added.'),
  });
}

function editRule(policy, rule) {
  const values = pickValues(rule, ['type', 'key', 'invert', 'compare_type', 'value']);
  openForm({
    name: 'l7rule-edit', title: 'Edit rule', fields: ruleFields(), values, initial: values,
    submit: (body) => api.put(`${POLICIES}/${policy.id}/rules/${rule.id}`, { rule: body }),
    done: () => finish('Rule saved.'),
  });
}

function deleteRule(policy, rule) {
  return confirmDelete('Delete this rule?', `Requests ${ruleText(rule)}`,
    `${POLICIES}/${policy.id}/rules/${rule.id}`, 'Rule deleted.');
}
