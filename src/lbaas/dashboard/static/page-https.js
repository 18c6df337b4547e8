// The guided "new HTTPS site": a certificate and key (pasted or read from files, checked here
// first), a load balancer with a TERMINATED_HTTPS listener on 443 (more certificates by SNI if
// wished), HTTP on 80 redirected to HTTPS, a pool of servers and its health monitor, an optional
// floating IP; then the status, live, until the site serves. The load balancer is one request
// (the fully populated create), so a refusal leaves no half-made site; the certificate made before
// it is kept for the next try, or removed on request.

import { ApiError } from './api.js';
import { badge, button, h, link, notify, pageHead, shortId } from './dom.js';
import { certificateInput, removeCertificate, storeCertificate } from './certform.js';
import { buildFields } from './forms.js';
import { externalNetworkOptions } from './netforms.js';
import { clientChecksEnabled, isIpv4 } from './rules.js';
import { changed, subnetOptions } from './state.js';
import { listAll, refId, v2 } from './v2api.js';

const LBS = '/v2.0/lbaas/loadbalancers';
const HOST_NAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const port = (v) => (/^[0-9]{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65535 ? null : 'A port from 1 to 65535.');
const whole = (min, max) => (v) => (/^[0-9]{1,6}$/.test(v) && Number(v) >= min && Number(v) <= max ? null : `A whole number from ${min} to ${max}.`);

export const httpsPage = {
  title: 'New HTTPS site',
  needs: ['subnets', 'networks'],
  mount() {
    const element = h('div');
    const view = { element };
    const start = () => {
      view.flow = new HttpsFlow(start);
      element.replaceChildren(view.flow.element);
    };
    start();
    view.update = () => view.flow.update();
    return view;
  },
};

function siteFields() {
  return [
    { name: 'name', label: 'Site name', kind: 'text', required: true, default: 'site', check: (v) => (v.length > 200 ? 'At most 200 characters.' : null) },
    { name: 'host', label: 'Host name', kind: 'text', required: false, hint: 'Where HTTP is redirected to (default: the certificate\'s host name).', check: (v) => (HOST_NAME.test(v) ? null : 'A host name such as www.example.com.') },
    { name: 'subnet_id', label: 'Subnet of the address', kind: 'select', required: true, options: subnetOptions(), wide: true },
    { name: 'address', label: 'Address', kind: 'text', required: false, hint: 'Empty: a free address of the subnet.', check: (v) => (isIpv4(v) ? null : 'An IPv4 address such as 198.18.1.10.') },
    { name: 'redirect', label: 'Redirect HTTP (port 80) to HTTPS', kind: 'checkbox', default: true },
  ];
}

function poolFields() {
  return [
    { name: 'lb_algorithm', label: 'Shared by', kind: 'select', options: [['ROUND_ROBIN', 'round robin'], ['LEAST_CONNECTIONS', 'least connections'], ['SOURCE_IP', 'client address']] },
    { name: 'monitor', label: 'Health check', kind: 'select', options: [['HTTP', 'HTTP request'], ['TCP', 'TCP connect'], ['', 'none']] },
    { name: 'url_path', label: 'Path', kind: 'text', default: '/', showIf: (v) => v.monitor === 'HTTP', check: (v) => (/^\/[\x21-\x7e]*$/.test(v) ? null : 'A path starting with /.') },
    { name: 'expected_codes', label: 'Healthy answers', kind: 'text', default: '200', showIf: (v) => v.monitor === 'HTTP', check: (v) => (/^[0-9]{3}([-,][0-9]{3})*$/.test(v) ? null : 'Codes such as 200 or 200-299.') },
    { name: 'delay', label: 'Every (s)', kind: 'number', default: '5', showIf: (v) => v.monitor, check: whole(1, 86400) },
    { name: 'timeout', label: 'Timeout (s)', kind: 'number', default: '3', showIf: (v) => v.monitor, check: (v, all) => whole(1, 86400)(v) ?? (Number(v) > Number(all.delay) ? 'At most the delay between checks.' : null) },
  ];
}

class HttpsFlow {
  constructor(restart) {
    this.restart = restart;
    this.made = {};        // certificate: {secrets, container}, loadbalancer, floatingip
    this.certMade = { secrets: [] };
    this.rows = [];
    this.certificate = certificateInput();
    this.site = buildFields(siteFields(), {});
    this.pool = buildFields(poolFields(), {});
    this.fip = buildFields([{ name: 'network', label: 'Floating IP', kind: 'select', wide: true, blank: 'None: reach the site on its subnet', options: externalNetworkOptions().map(([id, name]) => [id, `A new one on ${name}`]) }], {});
    this.sni = h('div', { class: 'sni-choices', role: 'group', 'aria-label': 'More certificates by SNI' }, h('p', { class: 'muted' }, 'Loading the certificates there are…'));
    this.element = this.render();
    this.addRow();
    this.loadSniChoices();
    this.certificate.element.addEventListener('input', () => this.suggestHost());
  }

  render() {
    this.rowBox = h('div', { class: 'member-rows' });
    this.steps = h('ol', { class: 'steps', 'aria-label': 'Progress' });
    this.outcome = h('div', { class: 'outcome', role: 'alert', tabindex: '-1' });
    this.live = h('div', { class: 'live-status', 'data-testid': 'site-status' });
    this.submit = button('Create HTTPS site', null, { kind: 'primary', type: 'submit' });
    this.rollback = button('Remove what was created', () => this.removeMade(), { kind: 'danger' });
    this.rollback.hidden = true;
    this.sections = {
      certificate: section('1. Certificate', 'The certificate clients see, and its private key. Both are checked here before anything is sent.', this.certificate.element),
      site: section('2. Site', 'The address clients connect to: HTTPS on port 443, and port 80 sending them there.', this.site.element,
        h('h3', { class: 'sub-legend' }, 'More certificates by SNI (optional)'),
        h('p', { class: 'hint' }, 'Other host names served at the same address: the certificate matching the name a client asks for is shown.'), this.sni),
      servers: section('3. Servers', 'The web servers behind the site, reached over plain HTTP on their subnet.',
        this.rowBox, button('Add another server', () => this.addRow(true)), this.pool.element),
      fip: section('4. Floating IP', 'An address on an external network that leads to the site.', this.fip.element),
    };
    const form = h('form', { novalidate: true, 'aria-label': 'New HTTPS site', 'data-form': 'https-site' },
      Object.values(this.sections), h('div', { class: 'form-actions' }, this.rollback, this.submit));
    form.addEventListener('submit', (event) => { event.preventDefault(); this.run(); });
    form.addEventListener('input', (event) => this.recheck(event.target));
    form.addEventListener('change', (event) => this.recheck(event.target));
    return h('div', {},
      pageHead('New HTTPS site', 'Certificate, HTTPS listener, redirect from HTTP, servers and health check in one go.'),
      h('div', { class: 'wizard' }, form,
        h('aside', { class: 'panel progress-panel', 'aria-labelledby': 'https-progress-title' },
          h('h2', { id: 'https-progress-title' }, 'Progress'),
          h('p', { class: 'hint' }, 'Each step shows here as it runs, then the site\'s status until it serves.'),
          this.outcome, this.steps, this.live)));
  }

  async loadSniChoices() {
    let containers = [];
    try {
      containers = (await listAll('/v1/containers', 'containers')).filter((c) => c.type === 'certificate');
    } catch (exc) {
      this.sni.replaceChildren(h('p', { class: 'form-error' }, `Could not list certificates: ${exc.summary ?? exc.message}`));
      return;
    }
    this.sni.replaceChildren(containers.length ? h('ul', { class: 'plain' }, containers.map((c) => h('li', {},
      h('label', { class: 'inline-check' }, h('input', { type: 'checkbox', name: 'sni', value: c.container_ref }), ` ${c.name || shortId(refId(c.container_ref))}`))))
      : h('p', { class: 'muted' }, 'No other certificates yet.'));
  }

  suggestHost() {
    clearTimeout(this.hostTimer);
    this.hostTimer = setTimeout(async () => {
      const host = this.site.parts.get('host').control;
      if (host.value && host.dataset.suggested !== host.value) return;  // typed by the reader
      const { info } = await this.certificate.check();
      const name = info?.names.find((n) => !n.startsWith('*') && HOST_NAME.test(n));
      if (name) { host.value = name; host.dataset.suggested = name; }
    }, 300);
  }

  addRow(focus = false) {
    const fields = buildFields([
      { name: 'address', label: 'Address', kind: 'text', required: true, placeholder: '198.18.1.10', check: (v) => (isIpv4(v) ? null : 'An IPv4 address such as 198.18.1.10.') },
      { name: 'protocol_port', label: 'Port', kind: 'number', default: '80', required: true, check: port },
      { name: 'weight', label: 'Weight', kind: 'number', default: '1', required: true, check: whole(0, 256) },
    ], {});
    const number = this.rows.length + 1;
    const row = { fields };
    row.remove = button('Remove', () => { this.rows = this.rows.filter((r) => r !== row); row.element.remove(); }, { kind: 'small', aria: `Remove server ${number}` });
    row.element = h('div', { class: 'member-row', role: 'group', 'aria-label': `Server ${number}` }, fields.element, row.remove);
    this.rows.push(row);
    this.rowBox.append(row.element);
    if (focus) fields.parts.get('address').control.focus();
  }

  /** A section that shows problems is checked again as it is edited, so fixed ones go away. */
  recheck(target) {
    for (const fields of [this.site, this.pool, ...this.rows.map((r) => r.fields)]) {
      if (!fields.element.contains(target) || !fields.element.querySelector('.field-error:not(:empty)')) continue;
      const values = fields.read();
      const extra = fields === this.site && values.redirect && !values.host ? { host: 'Needed for the redirect: the name clients use.' } : {};
      fields.show({ ...fields.check(), ...extra });
    }
  }

  /** Every section checked here; problems shown at their fields. */
  async check() {
    const problems = [];
    const checked = (fields, extra = {}) => {
      const errors = { ...fields.check(), ...extra };
      fields.show(errors);
      if (Object.keys(errors).length) problems.push(() => fields.focusFirst(errors));
    };
    const cert = await this.certificate.check();
    if (!cert.ok) problems.push(() => this.certificate.focusFirst(cert.errors));
    const site = this.site.read();
    checked(this.site, site.redirect && !site.host ? { host: 'Needed for the redirect: the name clients use.' } : {});
    if (!this.rows.length) problems.push(() => this.sections.servers.querySelector('button').focus());
    const seen = new Set();
    for (const row of this.rows) {
      const v = row.fields.read();
      const key = `${v.address}:${v.protocol_port}`;
      checked(row.fields, seen.has(key) ? { address: `${key} is already in this list.` } : {});
      seen.add(key);
    }
    checked(this.pool);
    if (problems.length) problems[0]();
    return problems.length ? null : cert;
  }

  /** The fully populated create of the site, as Octavia's API takes it. */
  body(containerRef) {
    const site = this.site.read();
    const pool = this.pool.read();
    const name = site.name.trim();
    const monitor = pool.monitor ? {
      type: pool.monitor, delay: Number(pool.delay), timeout: Number(pool.timeout), max_retries: 3,
      ...(pool.monitor === 'HTTP' ? { http_method: 'GET', url_path: pool.url_path, expected_codes: pool.expected_codes } : {}),
    } : null;
    const sni = [...this.sni.querySelectorAll('input[name="sni"]:checked')].map((i) => i.value);
    const listeners = [{
      name: `${name}-https`, protocol: 'TERMINATED_HTTPS', protocol_port: 443,
      default_tls_container_ref: containerRef, sni_container_refs: sni, default_pool: { name: `${name}-servers` },
    }];
    if (site.redirect) {
      listeners.push({
        name: `${name}-http`, protocol: 'HTTP', protocol_port: 80,
        l7policies: [{
          name: `${name}-to-https`, action: 'REDIRECT_PREFIX', redirect_prefix: `https://${site.host}`, redirect_http_code: 301,
          rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/' }],
        }],
      });
    }
    return {
      loadbalancer: {
        name, vip_subnet_id: site.subnet_id, ...(site.address ? { vip_address: site.address } : {}), listeners,
        pools: [{
          name: `${name}-servers`, protocol: 'HTTP', lb_algorithm: pool.lb_algorithm,
          members: this.rows.map((r) => r.fields.read()).map((m) => ({
            address: m.address.trim(), protocol_port: Number(m.protocol_port), weight: Number(m.weight), subnet_id: site.subnet_id,
          })),
          ...(monitor ? { healthmonitor: monitor } : {}),
        }],
      },
    };
  }

  async run() {
    this.outcome.replaceChildren();
    const cert = clientChecksEnabled() ? await this.check() : this.certificate.peek();
    if (!cert) {
      this.outcome.textContent = 'Nothing was sent: fix the fields marked in the form.';
      return;
    }
    this.submit.disabled = true;
    this.rollback.hidden = true;
    const steps = [
      ['certificate', 'Store the certificate and key', () => this.storeCertificate(cert)],
      ['loadbalancer', 'Create the load balancer: HTTPS on 443' + (this.site.read().redirect ? ', HTTP on 80 redirected' : '') + `, ${this.rows.length} server${this.rows.length > 1 ? 's' : ''}`,
        () => v2.post(LBS, this.body(this.made.certificate)).then((r) => r.loadbalancer)],
    ];
    const network = this.fip.read().network;
    if (network) {
      steps.push(['floatingip', 'Create the floating IP', () => v2.post('/v2.0/floatingips', {
        floatingip: { floating_network_id: network, port_id: this.made.loadbalancer.vip_port_id },
      }).then((r) => r.floatingip)]);
    }
    this.drawSteps(steps);
    for (const [key, label, send] of steps) {
      if (this.made[key] && !(key === 'certificate' && this.certSignature !== this.certificate.signature())) continue;
      this.mark(key, 'working', 'working…');
      try {
        this.made[key] = await send();
      } catch (exc) {
        if (!(exc instanceof ApiError)) throw exc;
        this.failed(key, label, exc);
        this.submit.disabled = false;
        changed();
        return;
      }
      this.mark(key, 'done', typeof this.made[key] === 'object' ? `id ${shortId(this.made[key].id)}` : 'done');
      this.lock();
    }
    this.submit.hidden = true;
    this.sections.fip.disabled = true;
    this.outcome.replaceChildren(h('p', { class: 'done' }, 'Created. The agent deploys it now; its status follows below until it serves.'));
    this.steps.append(h('li', { class: 'working', 'data-step': 'active' }, 'Serving', h('span', { class: 'step-note' }, 'waiting for ACTIVE…')));
    changed();
    this.update();
  }

  /** The certificate as a container; one made before for other input is removed first. */
  async storeCertificate(cert) {
    if (this.certMade.container || this.certMade.secrets.length) await removeCertificate(this.certMade);
    const ref = await storeCertificate(cert.values, cert.info, this.certMade);
    this.certSignature = this.certificate.signature();
    return ref;
  }

  failed(key, label, error) {
    this.mark(key, 'failed', error.summary);
    const aboutCertificate = /tls|certificate|key|sni/i.test(error.message);
    if (aboutCertificate) this.certificate.showError(error.message);
    const kept = key !== 'certificate' && this.made.certificate;
    this.outcome.replaceChildren(
      h('p', { class: 'form-error' }, `Stopped at “${label}”: ${error.message}`),
      h('p', {}, kept ? 'The certificate stored before it is kept for the next try. ' : 'Nothing was created. ',
        aboutCertificate ? 'Fix the certificate and press Continue.' : 'Fix what the message names and press Continue.'));
    this.submit.textContent = 'Continue';
    this.rollback.hidden = !kept && !this.made.loadbalancer;
    this.outcome.focus();
  }

  lock() {
    const built = Boolean(this.made.loadbalancer);
    this.sections.certificate.disabled = built;
    this.sections.site.disabled = built;
    this.sections.servers.disabled = built;
    this.sections.fip.disabled = Boolean(this.made.floatingip);
  }

  drawSteps(steps) {
    this.steps.replaceChildren(...steps.map(([key, label]) => h('li', {
      class: this.made[key] ? 'done' : 'waiting', 'data-step': key,
    }, label, h('span', { class: 'step-note' }, ''))));
  }

  mark(key, state, note) {
    const item = this.steps.querySelector(`[data-step="${key}"]`);
    if (!item) return;
    item.className = state;
    item.querySelector('.step-note').textContent = note;
  }

  /** The site's status tree, fetched on each refresh until it is ACTIVE (and then on). */
  async update() {
    const lb = this.made.loadbalancer;
    if (!lb || this.fetching) return;
    this.fetching = true;
    try {
      const tree = (await v2.get(`${LBS}/${lb.id}/status`)).statuses.loadbalancer;
      this.drawStatus(tree);
    } catch (exc) {
      this.live.replaceChildren(h('p', { class: 'form-error' }, `Status unknown: ${exc.summary ?? exc.message}`));
    } finally {
      this.fetching = false;
    }
  }

  drawStatus(tree) {
    const lb = this.made.loadbalancer;
    const fip = this.made.floatingip;
    const both = (o) => [badge(o.provisioning_status), ' ', badge(o.operating_status)];
    this.live.replaceChildren(h('h3', {}, 'Status'), h('ul', { class: 'plain status-tree' },
      h('li', { 'data-status-of': 'loadbalancer' }, `Load balancer ${lb.vip_address} `, both(tree)),
      tree.listeners.map((li) => h('li', {}, `Listener ${li.name} `, both(li),
        h('ul', { class: 'plain' }, li.pools.map((p) => h('li', {}, `Pool ${p.name} `, both(p),
          h('ul', { class: 'plain' }, p.members.map((m) => h('li', {}, `Server ${m.address}:${m.protocol_port} `, badge(m.operating_status)))))))))));
    const step = this.steps.querySelector('[data-step="active"]');
    if (tree.provisioning_status === 'ACTIVE' && step && step.className !== 'done') {
      step.className = 'done';
      step.querySelector('.step-note').textContent = 'ACTIVE';
      const https = tree.listeners.find((li) => li.name.endsWith('-https'));
      const address = fip?.floating_ip_address ?? lb.vip_address;
      const host = this.site.read().host;
      this.outcome.replaceChildren(
        h('p', { class: 'done', 'data-testid': 'site-serving' }, `Serving: https://${host || address}/ at ${address}.`),
        h('p', {}, https ? link('Open its listener', `#/listeners/${https.id}`, 'btn primary') : null, ' ',
          link('Certificates', '#/certificates', 'btn'), ' ', button('Make another', () => this.restart())));
      notify(`The HTTPS site ${lb.name} serves.`);
    } else if (tree.provisioning_status === 'ERROR' && step) {
      step.className = 'failed';
      step.querySelector('.step-note').textContent = 'ERROR: see the load balancer';
      this.rollback.hidden = false;
    }
  }

  /** Undo: floating IP, the load balancer with everything in it, the certificate. */
  async removeMade() {
    try {
      if (this.made.floatingip) await v2.del(`/v2.0/floatingips/${this.made.floatingip.id}`);
      if (this.made.loadbalancer) await v2.del(`${LBS}/${this.made.loadbalancer.id}?cascade=true`);
      await removeCertificate(this.certMade);
    } catch (exc) {
      notify(`Could not remove everything: ${exc.summary ?? exc.message}`, { bad: true });
      return;
    }
    notify('Removed what the flow had created.');
    changed();
    this.restart();
  }
}

function section(title, hint, ...body) {
  return h('fieldset', {}, h('legend', {}, title), h('p', { class: 'hint' }, hint), body);
}
