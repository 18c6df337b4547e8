// Certificates: every certificate container (and stand-alone certificate secret) of the project,
// with the dates and names read from the certificate itself, the listeners and pools that use
// it, and those expiring within 30 days standing out; below, every secret.

import { ApiError } from './api.js';
import { badge, button, confirmDialog, h, KeyedTable, link, notify, pageHead, panel, shortId } from './dom.js';
import { certificateInput, day, inDays, removeCertificate, SOON_DAYS, storeCertificate } from './certform.js';
import { listAll, refId, selfLoading, v2 } from './v2api.js';
import { daysUntil, pemBlocks, parseCertificate } from './x509.js';

const parsed = new Map();   // secret id -> {info} or {error}: payloads never change

/** What uses which ref: id -> [{kind, id, name, role}]. */
function usesOf(listeners, pools) {
  const uses = new Map();
  const add = (ref, use) => {
    if (!ref) return;
    const id = refId(ref);
    uses.set(id, [...(uses.get(id) ?? []), use]);
  };
  for (const li of listeners) {
    const use = (role) => ({ kind: 'listener', id: li.id, name: li.name || `${li.protocol}:${li.protocol_port}`, role });
    add(li.default_tls_container_ref, use('certificate'));
    for (const ref of li.sni_container_refs ?? []) add(ref, use('SNI'));
    add(li.client_ca_tls_container_ref, use('client CA'));
    add(li.client_crl_container_ref, use('client CRL'));
  }
  for (const pool of pools) {
    const use = (role) => ({ kind: 'pool', id: pool.id, name: pool.name || shortId(pool.id), role });
    add(pool.tls_container_ref, use('client certificate'));
    add(pool.ca_tls_container_ref, use('members\' CA'));
    add(pool.crl_container_ref, use('members\' CRL'));
  }
  return uses;
}

async function readCertificate(secretId) {
  if (parsed.has(secretId)) return parsed.get(secretId);
  let entry;
  try {
    const pem = await v2.text(`/v1/secrets/${secretId}/payload`);
    const block = pemBlocks(pem).find((b) => b.label === 'CERTIFICATE');
    entry = block ? { info: parseCertificate(block.der) } : { error: 'no PEM certificate in it' };
  } catch (exc) {
    if (exc instanceof ApiError && exc.status !== 404 && exc.status !== 403) throw exc;
    entry = { error: exc instanceof ApiError ? exc.message : String(exc) };
  }
  parsed.set(secretId, entry);
  return entry;
}

/** Everything the page shows, fetched: certificates (with their parsed certificate) and secrets. */
export async function loadCertificates() {
  const [containers, secrets, listeners, pools] = await Promise.all([
    listAll('/v1/containers', 'containers'), listAll('/v1/secrets', 'secrets'),
    listAll('/v2.0/lbaas/listeners', 'listeners'), listAll('/v2.0/lbaas/pools', 'pools')]);
  const uses = usesOf(listeners, pools);
  const held = new Map();   // secret id -> container names
  const certificates = [];
  for (const container of containers.filter((c) => c.type === 'certificate')) {
    const id = refId(container.container_ref);
    const refs = Object.fromEntries(container.secret_refs.map((r) => [r.name, refId(r.secret_ref)]));
    for (const secretId of Object.values(refs)) held.set(secretId, [...(held.get(secretId) ?? []), { id, name: container.name || shortId(id) }]);
    certificates.push({ id, name: container.name, kind: 'container', ref: container.container_ref, secretId: refs.certificate, uses: uses.get(id) ?? [], secrets: Object.values(refs) });
  }
  for (const secret of secrets) {
    const id = refId(secret.secret_ref);
    const standalone = secret.secret_type === 'certificate' && !held.has(id);
    if (standalone || (uses.has(id) && secret.content_types?.default === 'text/plain' && !held.has(id))) {
      certificates.push({ id, name: secret.name, kind: 'secret', ref: secret.secret_ref, secretId: id, uses: uses.get(id) ?? [], secrets: [id] });
    }
  }
  await Promise.all(certificates.map(async (cert) => {
    Object.assign(cert, cert.secretId ? await readCertificate(cert.secretId) : { error: 'the container names no certificate' });
  }));
  certificates.sort((a, b) => (a.info?.notAfter ?? 0) - (b.info?.notAfter ?? 0) || (a.name ?? '').localeCompare(b.name ?? ''));
  const secretRows = secrets.map((s) => {
    const id = refId(s.secret_ref);
    const containers = held.get(id) ?? [];
    const through = containers.flatMap((c) => (uses.get(c.id) ?? []).map((u) => ({ ...u, role: `${u.role}, in container ${c.name}` })));
    return { ...s, id, containers: containers.map((c) => c.name), uses: [...(uses.get(id) ?? []), ...through] };
  });
  return { certificates, secrets: secretRows };
}

/** 'EXPIRED', 'EXPIRING' (within SOON_DAYS) or 'VALID'; null when unread. */
export function expiryState(cert) {
  if (!cert.info) return null;
  const days = daysUntil(cert.info.notAfter);
  return days < 0 || cert.info.notAfter.getTime() < Date.now() ? 'EXPIRED' : days < SOON_DAYS ? 'EXPIRING' : 'VALID';
}

function usesCell(uses) {
  if (!uses.length) return h('span', { class: 'muted' }, 'not used');
  return h('ul', { class: 'plain' }, uses.map((u) => h('li', {},
    u.kind === 'listener' ? link(`listener ${u.name}`, `#/listeners/${u.id}`) : `pool ${u.name}`,
    h('span', { class: 'sub' }, u.role))));
}

function expiryCell(cert) {
  if (!cert.info) return h('span', { class: 'muted' }, `unread: ${cert.error}`);
  const days = daysUntil(cert.info.notAfter);
  return [h('span', {}, day(cert.info.notAfter)), h('span', { class: 'sub' }, inDays(days))];
}

export const certificatesPage = {
  title: 'Certificates',
  needs: [],
  mount() {
    const table = new KeyedTable({
      label: 'Certificates', empty: 'No certificates yet: add one, or make an HTTPS site.',
      columns: [
        { label: 'Name', cell: (c) => [c.name || shortId(c.id), h('span', { class: 'sub' }, c.kind === 'container' ? 'certificate container' : 'certificate secret')] },
        { label: 'For', cell: (c) => (c.info ? h('span', { class: 'mono' }, c.info.names.join(', ') || '—') : '—') },
        { label: 'Expires', cell: expiryCell },
        { label: 'State', cell: (c) => { const state = expiryState(c); return state ? badge(state, state === 'EXPIRING' ? `Expires within ${SOON_DAYS} days: renew it` : undefined) : '—'; } },
        { label: 'Used by', cell: (c) => usesCell(c.uses) },
        { label: 'Actions', className: 'actions', cell: (c) => button('Delete', () => deleteCertificate(c), { kind: 'small danger', aria: `Delete certificate ${c.name || c.id}` }) },
      ],
    });
    table.renderRow = (item, key) => {
      const row = KeyedTable.prototype.renderRow.call(table, item, key);
      const state = expiryState(item);
      row.dataset.expiry = state ?? 'UNKNOWN';
      if (state === 'EXPIRING' || state === 'EXPIRED') row.classList.add('expiring');
      return row;
    };
    const secretsTable = new KeyedTable({
      label: 'Secrets', empty: 'No secrets.',
      columns: [
        { label: 'Name', cell: (s) => [s.name || shortId(s.id), h('span', { class: 'sub mono' }, shortId(s.id))] },
        { label: 'Type', cell: (s) => [s.secret_type, h('span', { class: 'sub' }, s.content_types?.default ?? '')] },
        { label: 'In containers', cell: (s) => (s.containers.length ? s.containers.join(', ') : h('span', { class: 'muted' }, 'none')) },
        { label: 'Used by', cell: (s) => usesCell(s.uses) },
        { label: 'Created', cell: (s) => (s.created ?? '').slice(0, 16).replace('T', ' ') },
        { label: 'Secret expiry', cell: (s) => (s.expiration ? s.expiration.slice(0, 10) : '—') },
      ],
    });
    const alert = h('div', { class: 'expiry-alert', role: 'status', 'data-testid': 'expiry-alert' });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const element = h('div', {},
      pageHead('Certificates', 'TLS certificates of this project, when they expire and which listeners serve them.',
        link('New HTTPS site', '#/new-https', 'btn primary'), button('Add certificate', () => addCertificate())),
      error, alert,
      panel('Certificates', null, table.element),
      panel('Secrets', null, h('p', { class: 'hint' }, 'Everything stored in the key manager (payloads are not shown).'), secretsTable.element));
    const draw = ({ certificates, secrets }) => {
      error.textContent = '';
      table.update(certificates);
      secretsTable.update(secrets);
      drawAlert(alert, certificates);
    };
    const failed = (exc) => { error.textContent = `Could not load: ${exc.summary ?? exc.message}`; };
    const update = selfLoading(loadCertificates, draw, failed);
    reload = () => update.force();
    return { element, update };
  },
};

let reload = () => {};

function drawAlert(box, certificates) {
  const soon = certificates.filter((c) => ['EXPIRING', 'EXPIRED'].includes(expiryState(c)));
  const text = soon.map((c) => `${c.name || shortId(c.id)} (${inDays(daysUntil(c.info.notAfter))})`).join(', ');
  if (box.dataset.text === text) return;
  box.dataset.text = text;
  box.replaceChildren(soon.length ? h('p', {}, h('strong', {}, `${soon.length} certificate${soon.length > 1 ? 's' : ''} expire${soon.length > 1 ? '' : 's'} within ${SOON_DAYS} days or already did: `), text) : '');
  box.hidden = !soon.length;
}

async function deleteCertificate(cert) {
  const used = cert.uses.length ? ` It is used by ${cert.uses.map((u) => `${u.kind} ${u.name}`).join(', ')}.` : '';
  await confirmDialog(`Delete certificate ${cert.name || shortId(cert.id)}?`,
    `The ${cert.kind === 'container' ? 'container and its secrets are' : 'secret is'} removed.${used}`, 'Delete', async () => {
      if (cert.kind === 'container') {
        await v2.del(`/v1/containers/${cert.id}`);
        for (const id of cert.secrets) await v2.del(`/v1/secrets/${id}`).catch(() => {});  // held elsewhere: kept
      } else {
        await v2.del(`/v1/secrets/${cert.id}`);
      }
      notify(`Deleted certificate ${cert.name || shortId(cert.id)}.`);
    });
  reload();
}

/** A dialog: paste or upload a certificate and its key, checked here, stored as a container. */
function addCertificate() {
  const opener = document.activeElement;
  const input = certificateInput();
  const formError = h('div', { class: 'form-error', role: 'alert', tabindex: '-1' });
  const submit = button('Add certificate', null, { kind: 'primary', type: 'submit' });
  const dialog = h('dialog', { 'aria-labelledby': 'add-cert-title', class: 'wide-dialog' });
  const form = h('form', { novalidate: true, 'data-form': 'add-certificate' },
    h('h2', { id: 'add-cert-title' }, 'Add a certificate'), formError, input.element,
    h('div', { class: 'form-actions' }, button('Cancel', () => dialog.close()), submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    const checked = await input.check();
    if (!checked.ok) { input.focusFirst(checked.errors); return; }
    submit.disabled = true;
    const made = {};
    try {
      await storeCertificate(checked.values, checked.info, made);
    } catch (exc) {
      formError.textContent = `Not stored: ${exc.summary ?? exc.message}`;
      await removeCertificate(made).catch(() => {});
      submit.disabled = false;
      formError.focus();
      return;
    }
    dialog.close();
    notify('Certificate added.');
    reload();
  });
  dialog.append(form);
  dialog.addEventListener('close', () => { dialog.remove(); if (opener?.isConnected) opener.focus(); });
  document.body.append(dialog);
  dialog.showModal();
  input.element.querySelector('textarea')?.focus();
}
