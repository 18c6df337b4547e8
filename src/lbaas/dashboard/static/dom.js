// Small DOM helpers. Text from the API is only ever set as text, never parsed as HTML.

/** An element: h('a', {href: '#/x', class: 'btn'}, 'label', child, [more]). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  appendAll(el, children);
  return el;
}

function setProps(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else el.setAttribute(key, value === true ? '' : String(value));
  }
}

export function appendAll(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** A real button; `key` names it so focus can follow it when its row is redrawn. */
export function button(label, onclick, { kind = '', key, aria, type = 'button' } = {}) {
  return h('button', {
    type, class: `btn ${kind}`.trim(), onclick, 'data-focus-key': key ?? label,
    'aria-label': aria,
  }, label);
}

export function link(text, href, className) {
  return h('a', { href, class: className, 'data-focus-key': `link:${href}` }, text);
}

/** A status as a labelled badge (never colour alone); its reason as a tooltip. */
export function badge(status, description) {
  const text = status ?? 'UNKNOWN';
  return h('span', {
    class: `badge s-${text.toLowerCase()}`, title: description || undefined,
    'data-status': text,
  }, text.replaceAll('_', ' '));
}

export function pageHead(title, subtitle, ...actions) {
  return h('div', { class: 'page-head' },
    h('div', {}, h('h1', { tabindex: '-1' }, title), subtitle ? h('p', {}, subtitle) : null),
    actions.length ? h('div', { class: 'actions' }, actions) : null);
}

export function panel(title, actions, ...body) {
  const id = `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { class: 'panel', 'aria-labelledby': id },
    h('div', { class: 'panel-head' }, h('h2', { id }, title),
      actions && actions.length ? h('div', { class: 'actions' }, actions) : null),
    body);
}

export function facts(pairs) {
  return h('dl', { class: 'facts' },
    pairs.filter(Boolean).map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

/**
 * A table whose rows are keyed by object id and redrawn only when their content changes, so a
 * refresh every two seconds leaves the reader's place and keyboard focus alone.
 */
export class KeyedTable {
  constructor({ caption, columns, empty, key = (item) => item.id, label }) {
    this.columns = columns;
    this.empty = empty;
    this.key = key;
    this.body = h('tbody');
    this.element = h('table', { 'aria-label': label },
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
      this.body);
  }

  update(items) {
    if (!items.length) {
      this.body.replaceChildren(
        h('tr', {}, h('td', { colspan: this.columns.length, class: 'empty' }, this.empty)));
      return;
    }
    const old = new Map([...this.body.rows].map((row) => [row.dataset.key, row]));
    items.forEach((item, index) => {
      const key = this.key(item);
      const row = this.renderRow(item, key);
      const current = old.get(key);
      const placed = current && current.outerHTML === row.outerHTML ? current : row;
      if (current && placed !== current) swapKeepingFocus(current, placed);
      if (this.body.rows[index] !== placed) this.body.insertBefore(placed, this.body.rows[index] ?? null);
      old.delete(key);
    });
    for (const row of old.values()) row.remove();
  }

  renderRow(item, key) {
    return h('tr', { 'data-key': key },
      this.columns.map((c) => h('td', { class: c.className }, c.cell(item))));
  }
}

function swapKeepingFocus(current, next) {
  const focused = current.contains(document.activeElement)
    ? document.activeElement.getAttribute('data-focus-key') : null;
  current.replaceWith(next);
  if (focused) next.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
}

/**
 * Ask before something is removed; Cancel has the focus. With `action` (async), confirming runs
 * it in the dialog: a refusal is shown there and the dialog stays open. Resolves true when done.
 */
export function confirmDialog(title, text, confirmLabel = 'Delete', action = null) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-title', class: 'confirm' });
    const finish = (answer) => { resolve(answer); dialog.close(); };
    const cancel = button('Cancel', () => finish(false));
    const error = h('p', { class: 'form-error', role: 'alert' });
    const confirm = button(confirmLabel, async () => {
      if (!action) { finish(true); return; }
      error.textContent = '';
      confirm.disabled = true;
      try {
        await action();
      } catch (exc) {
        error.textContent = `Refused: ${exc.summary ?? exc.message}`;
        confirm.disabled = false;
        cancel.focus();
        return;
      }
      finish(true);
    }, { kind: 'danger solid' });
    dialog.append(h('div', { class: 'dialog-body' },
      h('h2', { id: 'confirm-title' }, title), h('p', {}, text), error,
      h('div', { class: 'form-actions' }, cancel, confirm)));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(false);
      if (opener && opener.isConnected) opener.focus();
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** A short message in the corner, read out politely by screen readers. */
export function notify(text, { bad = false } = {}) {
  const box = document.getElementById('notices');
  const note = h('div', { class: bad ? 'notice bad' : 'notice' }, text);
  box.append(note);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => note.remove(), bad ? 9000 : 5000);
}

export function formatBytes(value) {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let n = value;
  let unit = 0;
  while (Math.abs(n) >= 1000 && unit < units.length - 1) { n /= 1000; unit += 1; }
  return `${n >= 100 || unit === 0 ? Math.round(n) : n.toFixed(1)} ${units[unit]}`;
}

export function formatNumber(value) {
  if (value >= 100 || Number.isInteger(value)) return String(Math.round(value));
  return value.toFixed(value >= 10 ? 1 : 2);
}

export function shortId(id) {
  return id ? id.slice(0, 8) : '';
}
