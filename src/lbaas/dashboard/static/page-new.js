// The guided flow: pool → members → health monitor → VIP → floating IP in one form. Everything is
// checked first; then each step is one API request, shown as it runs. The first refusal stops the
// flow at its step, with the API's message next to the field it is about; what was made is kept,
// so the flow can continue from there once the field is fixed, or remove what it made.

import { api, ApiError } from './api.js';
import { badge, button, h, link, notify, pageHead, shortId } from './dom.js';
import { bodyOf, buildFields } from './forms.js';
import {
  associate, delayCoversTimeout, monitorFields, persistenceFields, poolFields, withPersistence,
} from './lbforms.js';
import { externalNetworkOptions } from './netforms.js';
import { clientChecksEnabled, fieldOfError, requestRules } from './rules.js';
import { changed, data, find, membersOf, networkLabel, subnetOptions, vipOfPool } from './state.js';

const number = (name, label, extra = {}) => ({ name, label, kind: 'number', ...extra });

export const newPage = {
  title: 'New load balancer',
  needs: ['pools', 'members', 'vips', 'subnets', 'networks', 'health_monitors', 'floatingips'],
  mount() {
    const element = h('div');
    const view = { element };
    const start = () => {
      view.wizard = new Wizard(start);
      element.replaceChildren(view.wizard.element);
    };
    start();
    view.update = () => view.wizard.update();
    return view;
  },
};

class Wizard {
  constructor(restart) {
    this.restart = restart;
    this.made = {};       // step key -> what the API answered
    this.rows = [];
    this.pool = buildFields(poolFields(), {
      rules: requestRules('post', '/v2.0/lb/pools'), values: { protocol: 'HTTP', lb_method: 'ROUND_ROBIN' },
    });
    this.monitor = buildFields(monitorSectionFields(), { rules: requestRules('post', '/v2.0/lb/health_monitors') });
    this.vip = buildFields(vipSectionFields(), { rules: requestRules('post', '/v2.0/lb/vips') });
    this.fip = buildFields([{
      name: 'choice', label: 'Floating IP', kind: 'select', blank: 'None: reach the VIP on its own network', wide: true,
      options: floatingIpChoices(),
    }], {});
    this.element = this.render();
    this.addRow();
  }

  render() {
    this.rowBox = h('div', { class: 'member-rows' });
    this.steps = h('ol', { class: 'steps', 'aria-label': 'Progress' });
    this.outcome = h('div', { class: 'outcome', role: 'alert', tabindex: '-1' });
    this.submit = button('Create load balancer', null, { kind: 'primary', type: 'submit' });
    this.rollback = button('Remove what was created', () => this.removeMade(), { kind: 'danger' });
    this.rollback.hidden = true;
    this.live = h('div', { class: 'live-status' });
    this.sections = {
      pool: section('1. Pool', 'The servers behind one address, and how requests are shared.',
        data.subnets.length ? null : h('p', { class: 'form-error' }, 'There is no subnet yet: make a network and a subnet first (',
          link('Networks and subnets', '#/networks'), ').'),
        this.pool.element),
      members: section('2. Members', 'The servers. They must be reachable on the pool\'s subnet.',
        this.rowBox, button('Add another member', () => this.addRow(true))),
      monitor: section('3. Health monitor', 'Takes a failing server out until it answers again.', this.monitor.element),
      vip: section('4. VIP', 'The address clients connect to. Its protocol is the pool\'s.', this.vip.element),
      fip: section('5. Floating IP', 'An address on an external network that leads to the VIP.', this.fip.element),
    };
    const form = h('form', { novalidate: true, 'aria-label': 'New load balancer', 'data-form': 'wizard' },
      Object.values(this.sections), h('div', { class: 'form-actions' }, this.rollback, this.submit));
    form.addEventListener('submit', (event) => { event.preventDefault(); this.run(); });
    return h('div', {},
      pageHead('New load balancer', 'Pool, members, health monitor, VIP and floating IP in one go.'),
      h('div', { class: 'wizard' }, form,
        h('aside', { class: 'panel progress-panel', 'aria-labelledby': 'progress-title' },
          h('h2', { id: 'progress-title' }, 'Progress'),
          h('p', { class: 'hint' }, 'Each step shows here as it runs. The first one the API refuses stops the flow, with the reason next to the field concerned.'),
          this.outcome, this.steps, this.live)));
  }

  addRow(focus = false) {
    const fields = buildFields([
      { name: 'address', label: 'Address', kind: 'text', placeholder: '198.18.1.10' },
      number('protocol_port', 'Port', { default: '80' }),
      number('weight', 'Weight', { default: '1' }),
    ], { rules: requestRules('post', '/v2.0/lb/members') });
    const row = { key: `member-${Math.random().toString(36).slice(2, 8)}`, fields };
    const number_ = this.rows.length + 1;
    row.remove = button('Remove', () => this.removeRow(row), { kind: 'small', aria: `Remove member ${number_}` });
    row.element = h('div', { class: 'member-row', role: 'group', 'aria-label': `Member ${number_}` }, fields.element, row.remove);
    this.rows.push(row);
    this.rowBox.append(row.element);
    if (focus) fields.parts.get('address').control.focus();
  }

  removeRow(row) {
    this.rows = this.rows.filter((r) => r !== row);
    row.element.remove();
    this.rowBox.querySelector('input')?.focus();
  }

  /** Check every section; show each problem at its field. True when all is well. */
  check() {
    const problems = [];
    const checked = (fields, extra = {}) => {
      const errors = { ...fields.check(), ...extra };
      fields.show(errors);
      if (Object.keys(errors).length) problems.push([fields, errors]);
    };
    checked(this.pool);
    const seen = new Set();
    for (const row of this.rows) {
      const values = row.fields.read();
      const key = `${values.address}:${String(values.protocol_port).trim()}`;
      checked(row.fields, seen.has(key) ? { address: `${key} is already in this list.` } : {});
      seen.add(key);
    }
    const monitor = this.monitor.read();
    checked(this.monitor, monitor.choice === 'new' ? delayCoversTimeout(monitor) : {});
    checked(this.vip);
    if (problems.length) problems[0][0].focusFirst(problems[0][1]);
    return problems.length === 0;
  }

  plan() {
    const steps = [];
    const pool = this.pool.read();
    steps.push(step('pool', `Create pool ${pool.name || '(unnamed)'}`, this.pool, (body) => api.post('/v2.0/lb/pools', { pool: body }).then((r) => r.pool)));
    for (const row of this.rows) {
      const v = row.fields.read();
      steps.push(step(row.key, `Add member ${v.address}:${v.protocol_port}`, row.fields,
        (body) => api.post('/v2.0/lb/members', { member: { ...body, pool_id: this.made.pool.id } }).then((r) => r.member)));
    }
    const monitor = this.monitor.read();
    if (monitor.choice === 'new') {
      steps.push(step('monitor', `Create ${monitor.type} health monitor`, this.monitor,
        (body) => api.post('/v2.0/lb/health_monitors', { health_monitor: body }).then((r) => r.health_monitor)));
    }
    if (monitor.choice) {
      const id = () => (monitor.choice === 'new' ? this.made.monitor.id : monitor.choice);
      steps.push(step('associate', 'Associate the monitor with the pool', this.monitor, () => associate(this.made.pool.id, id())));
    }
    steps.push(step('vip', `Create VIP on port ${this.vip.read().protocol_port}`, this.vip, (body, values) => api.post('/v2.0/lb/vips', {
      vip: withPersistence(values, { ...body, subnet_id: body.subnet_id ?? this.made.pool.subnet_id, protocol: this.made.pool.protocol, pool_id: this.made.pool.id }),
    }).then((r) => r.vip)));
    const fip = this.fip.read().choice;
    if (fip) {
      const [kind, id] = fip.split(':');
      steps.push(step('fip', kind === 'net' ? `Create a floating IP on ${networkLabel(id)}` : 'Associate the floating IP', this.fip,
        () => (kind === 'net'
          ? api.post('/v2.0/floatingips', { floatingip: { floating_network_id: id, port_id: this.made.vip.port_id } })
          : api.put(`/v2.0/floatingips/${id}`, { floatingip: { port_id: this.made.vip.port_id } })).then((r) => r.floatingip)));
    }
    return steps;
  }

  async run() {
    this.outcome.textContent = '';
    if (clientChecksEnabled() && !this.check()) {
      this.outcome.textContent = 'Nothing was sent: fix the fields marked in the form.';
      return;
    }
    const steps = this.plan();
    this.drawSteps(steps);
    this.submit.disabled = true;
    this.rollback.hidden = true;
    for (const current of steps) {
      if (this.made[current.key]) continue;
      const ok = await this.runStep(current, steps);
      if (!ok) break;
    }
    this.submit.disabled = false;
    if (steps.every((s) => this.made[s.key])) this.succeeded();
    changed();
  }

  async runStep(current, steps) {
    this.mark(current.key, 'working', 'working…');
    const values = current.fields.read();
    const body = bodyOf(current.fields.specs, values, current.fields.visible());
    try {
      this.made[current.key] = (await current.send(body, values)) ?? true;
    } catch (exc) {
      if (!(exc instanceof ApiError)) throw exc;
      this.failed(current, steps, exc, values);
      return false;
    }
    this.mark(current.key, 'done', idOf(this.made[current.key]));
    this.lockDone();
    return true;
  }

  failed(current, steps, error, values) {
    this.mark(current.key, 'failed', error.summary);
    const field = fieldOfError(error, current.fields.visible(), values);
    if (field) current.fields.show({ [field]: error.message });
    const kept = steps.filter((s) => this.made[s.key]).length;
    this.outcome.replaceChildren(
      h('p', { class: 'form-error' }, `Stopped at “${current.label}” (HTTP ${error.status} ${error.type})`,
        field ? null : `: ${error.message}`),
      h('p', {}, kept ? `The ${kept} step${kept > 1 ? 's' : ''} done before it are kept. ` : 'Nothing was created. ',
        field ? 'Fix the field marked in the form and press Continue.' : 'Press Continue to try this step again.'));
    this.submit.textContent = 'Continue';
    this.rollback.hidden = kept.length === 0;
    if (field) current.fields.focusFirst({ [field]: error.message });
    else this.outcome.focus();
  }

  succeeded() {
    this.submit.hidden = true;
    this.rollback.hidden = true;
    const pool = this.made.pool;
    this.outcome.replaceChildren(
      h('p', { class: 'done' }, 'Created. The agent deploys it now; the status below follows it live.'),
      h('p', {}, link(`Open pool ${pool.name || shortId(pool.id)}`, `#/pools/${pool.id}`, 'btn primary'), ' ',
        button('Build another', () => this.restart())));
    this.update();
  }

  /** Sections whose objects exist are frozen: their fields no longer describe a request. */
  lockDone() {
    this.sections.pool.disabled = Boolean(this.made.pool);
    for (const row of this.rows) {
      if (this.made[row.key]) { row.element.querySelectorAll('input').forEach((i) => { i.disabled = true; }); row.remove.hidden = true; }
    }
    this.sections.monitor.disabled = Boolean(this.made.monitor || this.made.associate);
    this.sections.vip.disabled = Boolean(this.made.vip);
    this.sections.fip.disabled = Boolean(this.made.fip);
  }

  drawSteps(steps) {
    this.steps.replaceChildren(...steps.map((s) => h('li', {
      class: this.made[s.key] ? 'done' : 'waiting', 'data-step': s.key,
    }, s.label, h('span', { class: 'step-note' }, this.made[s.key] ? idOf(this.made[s.key]) : ''))));
  }

  mark(key, state, note) {
    const item = this.steps.querySelector(`[data-step="${key}"]`);
    if (!item) return;
    item.className = state;
    item.querySelector('.step-note').textContent = note;
  }

  /** Undo: floating IP, VIP, pool (with its members and association), a monitor made here. */
  async removeMade() {
    const m = this.made;
    try {
      if (m.fip && this.fip.read().choice.startsWith('net:')) await api.del(`/v2.0/floatingips/${m.fip.id}`);
      else if (m.fip) await api.put(`/v2.0/floatingips/${m.fip.id}`, { floatingip: { port_id: null } });
      if (m.vip) await api.del(`/v2.0/lb/vips/${m.vip.id}`);
      if (m.pool) await api.del(`/v2.0/lb/pools/${m.pool.id}`);
      if (m.monitor) await api.del(`/v2.0/lb/health_monitors/${m.monitor.id}`);
    } catch (exc) {
      notify(`Could not remove everything: ${exc.summary ?? exc.message}`, { bad: true });
      changed();
      return;
    }
    notify('Removed what the flow had created.');
    changed();
    this.restart();
  }

  /** Live status of what was made, from the latest refresh. */
  update() {
    const pool = this.made.pool && find('pools', this.made.pool.id);
    if (!pool) { this.live.replaceChildren(); return; }
    const vip = vipOfPool(pool);
    this.live.replaceChildren(h('h3', {}, 'Status'), h('ul', { class: 'plain' },
      h('li', {}, 'Pool ', badge(pool.status, pool.status_description)),
      vip ? h('li', {}, `VIP ${vip.address}:${vip.protocol_port} `, badge(vip.status, vip.status_description)) : null,
      membersOf(pool.id).map((member) => h('li', {}, `Member ${member.address}:${member.protocol_port} `, badge(member.status, member.status_description)))));
  }
}

function step(key, label, fields, send) {
  return { key, label, fields, send };
}

function idOf(made) {
  return made && made.id ? `id ${shortId(made.id)}` : 'done';
}

function section(title, hint, ...body) {
  return h('fieldset', {}, h('legend', {}, title), h('p', { class: 'hint' }, hint), body);
}

function monitorSectionFields() {
  const existing = data.health_monitors.map((m) => [m.id, `Existing: ${m.type} every ${m.delay}s (${shortId(m.id)})`]);
  const choice = {
    name: 'choice', label: 'Health monitor', kind: 'select', send: false, required: false, default: 'new',
    options: [['new', 'A new monitor, as below'], ['', 'None: members are not checked'], ...existing],
  };
  const fields = monitorFields().map((f) => ({ ...f, showIf: (v) => v.choice === 'new' && (!f.showIf || f.showIf(v)) }));
  return [choice, ...fields];
}

function vipSectionFields() {
  return [
    { name: 'name', label: 'Name', kind: 'text' },
    number('protocol_port', 'Port', { default: '80' }),
    { name: 'address', label: 'Address', kind: 'text', hint: 'Leave empty to take a free address of the subnet' },
    { name: 'subnet_id', label: 'Subnet', kind: 'select', required: false, blank: 'The pool\'s subnet', options: subnetOptions() },
    ...persistenceFields(),
    number('connection_limit', 'Connection limit', { default: '-1', hint: '-1 for no limit' }),
  ];
}

function floatingIpChoices() {
  const free = data.floatingips.filter((f) => !f.port_id)
    .map((f) => [`fip:${f.id}`, `${f.floating_ip_address} (free, on ${networkLabel(f.floating_network_id)})`]);
  return [...externalNetworkOptions().map(([id, name]) => [`net:${id}`, `A new one on ${name}`]), ...free];
}
