// A certificate and its key, pasted or read from files, checked in the browser before anything is
// sent (PEM blocks, dates, whether the key belongs to the certificate), and stored as the
// Barbican-compatible API keeps them: one secret per part and a certificate container.

import { h } from './dom.js';
import { v2 } from './v2api.js';
import { certificateOfPem, daysUntil, keyMatches, privateKeyOfPem } from './x509.js';

export const SOON_DAYS = 30;
let counter = 0;

function pemArea(name, label, hint, { required = true, rows = 6 } = {}) {
  const id = `cert-${++counter}-${name}`;
  const area = h('textarea', {
    id, name, rows, spellcheck: 'false', autocomplete: 'off', class: 'pem',
    'aria-describedby': `${id}-hint ${id}-error`, 'aria-required': required ? 'true' : undefined,
    placeholder: '-----BEGIN …-----',
  });
  const file = h('input', { type: 'file', accept: '.pem,.crt,.cer,.key,text/plain', 'aria-label': `${label}: read from a file`, class: 'pem-file' });
  file.addEventListener('change', async () => {
    if (!file.files.length) return;
    area.value = await file.files[0].text();
    area.dispatchEvent(new Event('input', { bubbles: true }));
  });
  const error = h('p', { class: 'field-error', id: `${id}-error` });
  const wrap = h('div', { class: 'field wide', 'data-field': name },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, '*') : null),
    area, h('div', { class: 'pem-tools' }, file),
    h('p', { class: 'hint', id: `${id}-hint` }, hint), error);
  return { wrap, area, error };
}

/**
 * The fields: name, certificate, private key, intermediates, passphrase (shown for an encrypted
 * key), and a live summary of what the browser read. `check()` resolves to {ok, errors, info}.
 */
export function certificateInput({ name = '' } = {}) {
  const nameId = `cert-${++counter}-name`;
  const nameInput = h('input', { type: 'text', id: nameId, name: 'cert_name', autocomplete: 'off', value: name });
  const cert = pemArea('certificate', 'Certificate (PEM)', 'The server certificate: “-----BEGIN CERTIFICATE-----”. Paste it or choose a file.');
  const key = pemArea('private_key', 'Private key (PEM)', 'Its private key, PKCS#8 or RSA/EC (“-----BEGIN PRIVATE KEY-----”). It is sent to this service only, which keeps it encrypted.');
  const chain = pemArea('intermediates', 'Intermediate certificates (optional)', 'The chain up to your CA, if it issued through intermediates.', { required: false, rows: 3 });
  const passId = `cert-${++counter}-pass`;
  const pass = h('input', { type: 'password', id: passId, name: 'passphrase', autocomplete: 'off' });
  const passWrap = h('div', { class: 'field', 'data-field': 'passphrase', hidden: true },
    h('label', { for: passId }, 'Key passphrase'), pass,
    h('p', { class: 'hint' }, 'The key is encrypted: the service needs its passphrase to serve it.'));
  const summary = h('div', { class: 'cert-summary', 'data-testid': 'cert-summary', 'aria-live': 'polite' });
  const element = h('div', { class: 'cert-input' },
    h('div', { class: 'field wide', 'data-field': 'cert_name' }, h('label', { for: nameId }, 'Certificate name'), nameInput,
      h('p', { class: 'hint' }, 'How this certificate is listed (default: its host name).')),
    cert.wrap, key.wrap, chain.wrap, passWrap, summary);
  const parts = { certificate: cert, private_key: key, intermediates: chain };

  const read = () => ({
    name: nameInput.value.trim(), certificate: cert.area.value.trim(), private_key: key.area.value.trim(),
    intermediates: chain.area.value.trim(), passphrase: pass.value,
  });

  async function check() {
    const values = read();
    const errors = {};
    let info = null;
    let parsedKey = null;
    if (!values.certificate) errors.certificate = 'Required: paste the certificate or choose its file.';
    else {
      try {
        info = certificateOfPem(values.certificate);
        if (!info) errors.certificate = 'No “-----BEGIN CERTIFICATE-----” block here: is this the certificate in PEM?';
      } catch (exc) {
        errors.certificate = `Not a certificate this page can read: ${exc.message}.`;
      }
    }
    if (!values.private_key) errors.private_key = 'Required: paste the private key or choose its file.';
    else {
      try {
        parsedKey = privateKeyOfPem(values.private_key);
        if (!parsedKey) errors.private_key = 'No “-----BEGIN … PRIVATE KEY-----” block here: is this the key in PEM?';
      } catch (exc) {
        errors.private_key = exc.message;
      }
    }
    if (values.intermediates) {
      try {
        if (!certificateOfPem(values.intermediates)) errors.intermediates = 'No certificate block here.';
      } catch (exc) {
        errors.intermediates = `Not a certificate: ${exc.message}.`;
      }
    }
    passWrap.hidden = !parsedKey?.encrypted;
    if (parsedKey?.encrypted && !values.passphrase) errors.passphrase = 'The key is encrypted: enter its passphrase.';
    let matches = null;
    if (info && parsedKey && !errors.certificate) {
      if (info.notAfter.getTime() < Date.now()) errors.certificate = `This certificate expired on ${day(info.notAfter)}.`;
      else if (info.notBefore.getTime() > Date.now()) errors.certificate = `This certificate is valid only from ${day(info.notBefore)}.`;
      try {
        matches = await keyMatches(info, parsedKey);
      } catch {
        matches = null;
      }
      if (matches === false) errors.private_key = 'This key does not belong to the certificate (its public key differs).';
    }
    show(errors, info, matches);
    return { ok: Object.keys(errors).length === 0, errors, info, values };
  }

  function show(errors, info, matches) {
    for (const [field, part] of Object.entries(parts)) {
      part.error.textContent = errors[field] ?? '';
      if (errors[field]) part.area.setAttribute('aria-invalid', 'true'); else part.area.removeAttribute('aria-invalid');
    }
    passWrap.querySelector('.field-error')?.remove();
    if (errors.passphrase) passWrap.append(h('p', { class: 'field-error' }, errors.passphrase));
    if (!info) { summary.replaceChildren(); return; }
    const days = daysUntil(info.notAfter);
    summary.replaceChildren(h('ul', { class: 'plain' },
      h('li', {}, 'For: ', h('strong', {}, info.names.join(', ') || '(no host name)')),
      h('li', { class: days < SOON_DAYS ? 'soon' : '' }, `Valid until ${day(info.notAfter)} (${inDays(days)})`),
      h('li', {}, matches === true ? '✓ The key belongs to this certificate.'
        : matches === false ? '✗ The key does not belong to this certificate.'
          : 'The service checks that the key belongs to the certificate when it is sent.')));
  }

  let timer = null;
  element.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(check, 250); });
  const focusFirst = (errors) => {
    const first = ['certificate', 'private_key', 'intermediates'].find((f) => errors[f]);
    if (first) parts[first].area.focus(); else if (errors.passphrase) pass.focus();
  };
  const showError = (message) => { cert.error.textContent = message; cert.area.setAttribute('aria-invalid', 'true'); };
  const disable = (flag) => element.querySelectorAll('input, textarea').forEach((el) => { el.disabled = flag; });
  /** What was typed and the certificate if it reads as one, without judging (no checks). */
  const peek = () => {
    const values = read();
    let info = null;
    try { info = certificateOfPem(values.certificate); } catch { info = null; }
    return { ok: true, errors: {}, info, values };
  };
  return { element, read, check, peek, focusFirst, showError, disable, signature: () => JSON.stringify(read()) };
}

/**
 * Store a checked certificate: its secrets, then the container that names them. `made` collects
 * what exists so far ({secrets: [refs], container}), so a refusal leaves it to remove.
 */
export async function storeCertificate(values, info, made) {
  const name = values.name || info?.subject || 'certificate';
  made.secrets = made.secrets ?? [];
  const secret = async (part, payload, type) => {
    const answer = await v2.post('/v1/secrets', {
      name: `${name} ${part}`, payload, payload_content_type: 'text/plain', secret_type: type,
    });
    made.secrets.push(answer.secret_ref);
    return { name: part, secret_ref: answer.secret_ref };
  };
  const refs = [
    await secret('certificate', values.certificate, 'certificate'),
    await secret('private_key', values.private_key, 'private'),
  ];
  if (values.intermediates) refs.push(await secret('intermediates', values.intermediates, 'certificate'));
  if (values.passphrase) refs.push(await secret('private_key_passphrase', values.passphrase, 'passphrase'));
  const container = await v2.post('/v1/containers', { type: 'certificate', name, secret_refs: refs });
  made.container = container.container_ref;
  return container.container_ref;
}

/** Remove what storeCertificate made (the container first: it holds the secrets). */
export async function removeCertificate(made) {
  if (made.container) await v2.del(`/v1/containers/${made.container.split('/').pop()}`);
  made.container = null;
  for (const ref of made.secrets ?? []) await v2.del(`/v1/secrets/${ref.split('/').pop()}`);
  made.secrets = [];
}

export function day(moment) {
  return moment.toISOString().slice(0, 10);
}

export function inDays(days) {
  if (days < 0) return `expired ${-days} day${days === -1 ? '' : 's'} ago`;
  if (days === 0) return 'expires today';
  return `in ${days} day${days === 1 ? '' : 's'}`;
}

