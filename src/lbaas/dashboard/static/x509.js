// Certificates and keys read in the browser: PEM blocks, and from an X.509 certificate its
// names, validity and public key (a small DER reader: only what these pages show). Whether a
// private key belongs to a certificate is checked with WebCrypto (sign with one, verify with the
// other) where the browser offers it; the API checks again either way.

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const OIDS = {
  commonName: '2.5.4.3', subjectAltName: '2.5.29.17', rsa: '1.2.840.113549.1.1.1',
  ec: '1.2.840.10045.2.1', 'P-256': '1.2.840.10045.3.1.7', 'P-384': '1.3.132.0.34', 'P-521': '1.3.132.0.35',
};
const DAY_MS = 86400000;

/** The PEM blocks of a text: [{label, der (Uint8Array), headers (true if the block has any)}]. */
export function pemBlocks(text) {
  const blocks = [];
  for (const match of String(text).matchAll(PEM_BLOCK)) {
    const body = match[2];
    const headers = /^[\s]*[A-Za-z-]+:/.test(body);
    const base64 = body.split('\n').filter((line) => !line.includes(':')).join('').replace(/\s+/g, '');
    let der;
    try {
      der = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    } catch {
      throw new Error(`The ${match[1]} block is not valid base64.`);
    }
    blocks.push({ label: match[1], der, headers });
  }
  return blocks;
}

// -- DER ------------------------------------------------------------------------------------

/** One DER element at `offset`: {tag, start (of the content), end}. */
function element(der, offset) {
  if (offset + 2 > der.length) throw new Error('truncated DER');
  const tag = der[offset];
  let length = der[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count < 1 || count > 4) throw new Error('bad DER length');
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + der[start + i];
    start += count;
  }
  if (start + length > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + length, offset };
}

/** The elements inside a constructed one. */
function children(der, parent) {
  const out = [];
  for (let at = parent.start; at < parent.end;) {
    const child = element(der, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

function oid(der, el) {
  const bytes = der.subarray(el.start, el.end);
  const parts = [Math.floor(bytes[0] / 40), bytes[0] % 40];
  let value = 0;
  for (const byte of bytes.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) { parts.push(value); value = 0; }
  }
  return parts.join('.');
}

function text(der, el) {
  return new TextDecoder().decode(der.subarray(el.start, el.end));
}

function time(der, el) {
  const raw = text(der, el);
  const match = (el.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/).exec(raw);
  if (!match) throw new Error(`unknown time ${raw}`);
  let year = Number(match[1]);
  if (el.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6] ?? 0)));
}

function commonName(der, name) {
  for (const set of children(der, name)) {
    for (const pair of children(der, set)) {
      const [type, value] = children(der, pair);
      if (oid(der, type) === OIDS.commonName) return text(der, value);
    }
  }
  return '';
}

function altNames(der, extensions) {
  const names = [];
  for (const ext of children(der, children(der, extensions)[0])) {
    const parts = children(der, ext);
    if (oid(der, parts[0]) !== OIDS.subjectAltName) continue;
    const value = element(der, parts[parts.length - 1].start);
    for (const name of children(der, value)) {
      if (name.tag === 0x82) names.push(text(der, name));
      if (name.tag === 0x87 && name.end - name.start === 4) names.push([...der.subarray(name.start, name.end)].join('.'));
    }
  }
  return names;
}

/**
 * An X.509 certificate (DER): {subject (CN), names (CN, then DNS and IP SANs), notBefore,
 * notAfter, spki (the public key's DER), keyType ('RSA', 'P-256', ...)}. Throws if it is none.
 */
export function parseCertificate(der) {
  const tbs = children(der, children(der, element(der, 0))[0]);
  const fields = tbs[0].tag === 0xa0 ? tbs.slice(1) : tbs;
  const [, , , validity, subject, spki] = fields;
  const [notBefore, notAfter] = children(der, validity).map((el) => time(der, el));
  const extensions = fields.find((el) => el.tag === 0xa3);
  const cn = commonName(der, subject);
  const sans = extensions ? altNames(der, extensions) : [];
  const algorithm = children(der, children(der, spki)[0]);
  const keyOid = oid(der, algorithm[0]);
  const curve = keyOid === OIDS.ec && algorithm[1]?.tag === 0x06 ? oid(der, algorithm[1]) : null;
  const keyType = keyOid === OIDS.rsa ? 'RSA' : Object.keys(OIDS).find((k) => OIDS[k] === curve && k.startsWith('P-')) ?? null;
  return {
    subject: cn, names: [...new Set([cn, ...sans].filter(Boolean))], notBefore, notAfter,
    spki: der.slice(spki.offset, spki.end), keyType,
  };
}

/** The first certificate of a PEM text, parsed; null when there is none. */
export function certificateOfPem(pem) {
  const block = pemBlocks(pem).find((b) => b.label === 'CERTIFICATE');
  return block ? parseCertificate(block.der) : null;
}

/** Whole days from now to a moment (negative: past). */
export function daysUntil(moment, now = Date.now()) {
  return Math.floor((moment.getTime() - now) / DAY_MS);
}

// -- keys ------------------------------------------------------------------------------------

function encode(tag, content) {
  const length = content.length;
  const head = length < 128 ? [tag, length]
    : length < 256 ? [tag, 0x81, length] : length < 65536 ? [tag, 0x82, length >> 8, length & 255]
      : [tag, 0x83, length >> 16, (length >> 8) & 255, length & 255];
  const out = new Uint8Array(head.length + length);
  out.set(head);
  out.set(content, head.length);
  return out;
}

function encodeOid(dotted) {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const part of rest) {
    const group = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) group.unshift((v & 0x7f) | 0x80);
    bytes.push(...group);
  }
  return encode(0x06, Uint8Array.from(bytes));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

/** A PKCS#1 (RSA) or SEC1 (EC) key wrapped as the PKCS#8 WebCrypto imports. */
function asPkcs8(der, keyType) {
  const algorithm = keyType === 'RSA'
    ? concat(encodeOid(OIDS.rsa), Uint8Array.from([0x05, 0x00])) : concat(encodeOid(OIDS.ec), encodeOid(OIDS[keyType]));
  return encode(0x30, concat(Uint8Array.from([0x02, 0x01, 0x00]), encode(0x30, algorithm), encode(0x04, der)));
}

/** What a key text holds: {der (PKCS#8 or PKCS#1/SEC1), label, encrypted} or null if no key. */
export function privateKeyOfPem(pem) {
  const block = pemBlocks(pem).find((b) => /PRIVATE KEY$/.test(b.label));
  if (!block) return null;
  return { ...block, encrypted: block.label.startsWith('ENCRYPTED') || block.headers };
}

/**
 * Whether the key belongs to the certificate: true, false, or null when this browser cannot
 * tell (no WebCrypto here, an encrypted key, a key type it does not sign with).
 */
export async function keyMatches(certificate, key) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle || !certificate.keyType || key.encrypted) return null;
  const rsa = certificate.keyType === 'RSA';
  const importAlg = rsa ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: certificate.keyType };
  const signAlg = rsa ? importAlg : { name: 'ECDSA', hash: 'SHA-256' };
  const pkcs8 = key.label === 'PRIVATE KEY' ? key.der : asPkcs8(key.der, certificate.keyType);
  let privateKey;
  let publicKey;
  try {
    privateKey = await subtle.importKey('pkcs8', pkcs8, importAlg, false, ['sign']);
    publicKey = await subtle.importKey('spki', certificate.spki, importAlg, false, ['verify']);
  } catch {
    return key.label === 'PRIVATE KEY' ? false : null;  // another key type than the certificate's
  }
  const message = crypto.getRandomValues(new Uint8Array(32));
  const signature = await subtle.sign(signAlg, privateKey, message);
  return subtle.verify(signAlg, publicKey, signature, message);
}
