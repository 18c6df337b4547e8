// Forms: labelled fields checked with the API's rules, errors next to the field they are about,
// and dialogs that send a request and show the API's refusal where it belongs.

import { ApiError } from './api.js';
import { button, h, notify } from './dom.js';
import { checkValue, clientChecksEnabled, fieldOfError, propAt, requestRules } from './rules.js';

let counter = 0;
const INTEGER = /^ *[+-]?[0-9]{1,18} *$/;

/**
 * The fields of a form. Each spec: {name, label, kind: text|number|select|checkbox|password,
 * rule (attribute path in the request schema, default name), options [[value, label]], blank
 * (label of an empty choice), hint, patternHint, required, wide (two columns), showIf(values), check(value, values),
 * empty: omit|null|string (how '' is sent), send: false (not sent as is)}.
 */
export function buildFields(specs, { values = {}, rules }) {
  const prefix = `f${++counter}`;
  const parts = new Map();
  const element = h('div', { class: 'fields' });
  for (const spec of specs) {
    const part = renderField(spec, `${prefix}-${spec.name}`, values[spec.name], rules);
    parts.set(spec.name, part);
    element.append(part.wrap);
  }
  const controller = {
    element, parts, specs,
    read: () => readValues(specs, parts),
    visible: () => specs.filter((s) => !parts.get(s.name).wrap.hidden).map((s) => s.name),
    check: () => checkFields(specs, parts, rules, controller.read()),
    show: (errors) => showErrors(parts, errors),
    clear: () => showErrors(parts, {}),
    focusFirst: (errors) => focusFirst(specs, parts, errors),
    refresh: () => applyVisibility(specs, parts, controller.read()),
    disable: (flag) => parts.forEach((p) => { p.control.disabled = flag; }),
  };
  element.addEventListener('input', () => controller.refresh());
  element.addEventListener('change', () => controller.refresh());
  controller.refresh();
  return controller;
}

function renderField(spec, id, value, rules) {
  const prop = rules ? propAt(rules.props, spec.rule ?? spec.name) : null;
  const required = isRequired(spec, rules);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const control = makeControl(spec, id, value, prop);
  control.setAttribute('aria-describedby', `${spec.hint ? hintId : ''} ${errorId}`.trim());
  if (required) control.setAttribute('aria-required', 'true');
  const label = h('label', { for: id }, spec.label,
    required ? h('span', { class: 'req', 'aria-hidden': 'true' }, '*') : null);
  const hint = spec.hint ? h('p', { class: 'hint', id: hintId }, spec.hint) : null;
  const error = h('p', { class: 'field-error', id: errorId });
  const wrap = spec.kind === 'checkbox'
    ? h('div', { class: 'field check', 'data-field': spec.name }, control, label, hint, error)
    : h('div', { class: spec.wide ? 'field wide' : 'field', 'data-field': spec.name }, label, control, hint, error);
  return { wrap, control, error, spec };
}

function makeControl(spec, id, value, prop) {
  const name = spec.name;
  if (spec.kind === 'checkbox') {
    return h('input', { type: 'checkbox', id, name, checked: value ?? spec.default ?? false });
  }
  if (spec.kind === 'select') {
    const options = spec.options ?? (prop?.enum ?? []).map((v) => [String(v), String(v)]);
    const select = h('select', { id, name },
      spec.blank !== undefined ? h('option', { value: '' }, spec.blank) : null,
      options.map(([v, text]) => h('option', { value: v }, text)));
    select.value = value ?? spec.default ?? (spec.blank !== undefined ? '' : options[0]?.[0] ?? '');
    return select;
  }
  const type = spec.kind === 'password' ? 'password' : 'text';
  const input = h('input', {
    type, id, name, placeholder: spec.placeholder, autocomplete: 'off', spellcheck: 'false',
    inputmode: spec.kind === 'number' ? 'numeric' : undefined,
  });
  input.value = value ?? spec.default ?? '';
  return input;
}

function isRequired(spec, rules) {
  if (spec.required !== undefined) return spec.required;
  return Boolean(rules && rules.required.has(spec.rule ?? spec.name));
}

function readValues(specs, parts) {
  const values = {};
  for (const spec of specs) {
    const control = parts.get(spec.name).control;
    values[spec.name] = spec.kind === 'checkbox' ? control.checked : control.value;
  }
  return values;
}

function applyVisibility(specs, parts, values) {
  for (const spec of specs) {
    if (spec.showIf) parts.get(spec.name).wrap.hidden = !spec.showIf(values);
  }
}

function checkFields(specs, parts, rules, values) {
  const errors = {};
  for (const spec of specs) {
    if (parts.get(spec.name).wrap.hidden || parts.get(spec.name).control.disabled) continue;
    const prop = rules ? propAt(rules.props, spec.rule ?? spec.name) : null;
    const value = values[spec.name];
    const reason = checkValue(prop, value, {
      required: isRequired(spec, rules), hints: { pattern: spec.patternHint },
    }) ?? (value !== '' && spec.check ? spec.check(value, values) : null);
    if (reason) errors[spec.name] = reason;
  }
  return errors;
}

function showErrors(parts, errors) {
  for (const [name, part] of parts) {
    const message = errors[name] ?? '';
    part.error.textContent = message;
    if (message) part.control.setAttribute('aria-invalid', 'true');
    else part.control.removeAttribute('aria-invalid');
  }
}

function focusFirst(specs, parts, errors) {
  const first = specs.find((s) => errors[s.name]);
  if (first) parts.get(first.name).control.focus();
}

/**
 * The request body from form values: only visible fields that are sent; integers as numbers
 * (anything else as typed, for the API to judge); '' as the field's `empty` says; on an edit
 * (`initial` given) only what changed.
 */
export function bodyOf(specs, values, visible, initial = null) {
  const body = {};
  for (const spec of specs) {
    if (spec.send === false || !visible.includes(spec.name)) continue;
    const raw = values[spec.name];
    if (initial && String(initial[spec.name] ?? '') === String(raw)) continue;
    const value = sendable(spec, raw);
    if (value !== undefined) body[spec.rule ?? spec.name] = value;
  }
  return body;
}

function sendable(spec, raw) {
  if (spec.kind === 'checkbox') return raw;
  if (raw === '') {
    if (spec.empty === 'null') return null;
    return spec.empty === 'string' ? '' : undefined;
  }
  if (spec.kind === 'number' && INTEGER.test(raw)) return Number(raw);
  return raw;
}

/** Run a request for a form; on refusal show the API's message at its field (or the form). */
export async function sendForm(fields, formError, request, values) {
  try {
    return { ok: true, result: await request() };
  } catch (exc) {
    if (!(exc instanceof ApiError)) throw exc;
    const field = fieldOfError(exc, fields.visible(), values);
    if (field) {
      fields.show({ [field]: exc.message });
      fields.focusFirst({ [field]: exc.message });
      formError.textContent = `Not saved: the API refused it (HTTP ${exc.status} ${exc.type}).`;
    } else {
      formError.textContent = exc.summary;
      formError.focus();
    }
    return { ok: false, error: exc };
  }
}

/**
 * A modal form. options: {title, rules: [method, path], fields, values, initial (edit: send only
 * changes), submitLabel, check(values) -> {field: reason}, toBody(values, body) -> body,
 * submit(body) -> Promise, done(result, body), intro (nodes above the fields)}.
 */
export function openForm(options) {
  const opener = document.activeElement;
  const rules = options.rules ? requestRules(...options.rules) : null;
  const fields = buildFields(options.fields, { values: options.values ?? {}, rules });
  const titleId = `dlg-${++counter}`;
  const formError = h('div', { class: 'form-error', role: 'alert', tabindex: '-1' });
  const submit = button(options.submitLabel ?? 'Save', null, { kind: 'primary', type: 'submit' });
  const dialog = h('dialog', { 'aria-labelledby': titleId });
  const form = h('form', { novalidate: true, 'data-form': options.name ?? '' },
    h('h2', { id: titleId }, options.title), options.intro ?? null, formError, fields.element,
    h('div', { class: 'form-actions' }, button('Cancel', () => dialog.close()), submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitForm(options, fields, formError, submit, dialog);
  });
  dialog.append(form);
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener && opener.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  form.querySelector('input:not([type=hidden]):not(:disabled), select')?.focus();
  return dialog;
}

async function submitForm(options, fields, formError, submit, dialog) {
  formError.textContent = '';
  fields.clear();
  const values = fields.read();
  if (clientChecksEnabled()) {
    const errors = { ...fields.check(), ...(options.check ? options.check(values) : {}) };
    if (Object.keys(errors).length) {
      fields.show(errors);
      fields.focusFirst(errors);
      return;
    }
  }
  let body = bodyOf(options.fields, values, fields.visible(), options.initial ?? null);
  if (options.toBody) body = options.toBody(values, body);
  if (options.initial && !Object.keys(body).length) {
    dialog.close();
    notify('Nothing changed.');
    return;
  }
  submit.disabled = true;
  const outcome = await sendForm(fields, formError, () => options.submit(body), values);
  submit.disabled = false;
  if (!outcome.ok) return;
  dialog.close();
  if (options.done) options.done(outcome.result, body);
}
