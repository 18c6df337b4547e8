// The dashboard's frame: sign-in, the views behind #/..., and the refresh every 2 seconds that
// keeps statuses, member health and traffic current without reloading the page.

import { api, ApiError, session } from './api.js';
import { button, h } from './dom.js';
import { focusHeading } from './focus.js';
import { newPage } from './page-new.js';
import { agentsPage, floatingIpsPage, networksPage } from './page-net.js';
import { membersPage, monitorsPage, vipsPage } from './page-lb.js';
import { poolPage, poolsPage } from './page-pools.js';
import { loadBalancerPage, loadBalancersPage } from './page-v2-lb.js';
import { certificatesPage } from './page-certs.js';
import { httpsPage } from './page-https.js';
import { listenerPage } from './page-listener.js';
import { loadRules } from './rules.js';
import { data, onChange, refresh } from './state.js';

const POLL_MS = 2000;
const ROUTES = [
  [/^#\/pools\/([0-9a-f-]{36})$/, poolPage, (m) => ({ id: m[1] })],
  [/^#\/pools$/, poolsPage],
  [/^#\/members$/, membersPage],
  [/^#\/health-monitors$/, monitorsPage],
  [/^#\/vips$/, vipsPage],
  [/^#\/floating-ips$/, floatingIpsPage],
  [/^#\/networks$/, networksPage],
  [/^#\/agents$/, agentsPage, () => ({}), { admin: true }],
  [/^#\/new$/, newPage],
  [/^#\/loadbalancers\/([0-9a-f-]{36})$/, loadBalancerPage, (m) => ({ id: m[1] })],
  [/^#\/loadbalancers$/, loadBalancersPage],
  [/^#\/listeners\/([0-9a-f-]{36})$/, listenerPage, (m) => ({ id: m[1] })],
  [/^#\/certificates$/, certificatesPage],
  [/^#\/new-https$/, httpsPage],
];

const main = document.getElementById('main');
let current = null;   // {page, view}
let busy = false;

function route(hash) {
  for (const [pattern, page, params = () => ({}), options = {}] of ROUTES) {
    const match = pattern.exec(hash);
    if (match && (!options.admin || session.admin)) return { page, params: params(match) };
  }
  return null;
}

/** Draw the view the hash names; `focus` moves focus to its heading (not on first load). */
async function show(focus = true) {
  if (!session.token) { signInView(); return; }
  const found = route(location.hash);
  if (!found) { location.replace('#/pools'); return; }
  markNav();
  const mine = { page: found.page, view: null, needs: [] };
  current = mine;
  document.title = `${found.page.title} · lbaas`;
  mine.needs = typeof found.page.needs === 'function' ? found.page.needs(found.params) : found.page.needs;
  try {
    await refresh(mine.needs);
  } catch (exc) {
    if (current !== mine) return;
    main.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, `Could not load: ${exc.summary ?? exc.message}`),
      button('Try again', () => show()));
    return;
  }
  if (current !== mine) return;  // the reader moved on meanwhile
  mine.view = found.page.mount(found.params);
  main.replaceChildren(mine.view.element);
  mine.view.update();
  stamp();
  if (focus) focusHeading(main);
}

/** One refresh of the current view's data; skipped while one runs or the tab is hidden. */
async function tick(force = false) {
  if (!current?.view || (busy && !force) || (document.hidden && !force)) return;
  const mine = current;
  busy = true;
  try {
    await refresh(mine.needs);
    if (current === mine) mine.view.update();
    connection(null);
    stamp();
  } catch (exc) {
    if (!(exc instanceof ApiError) || exc.status !== 401) connection(`Connection problem: ${exc.summary ?? exc.message}. Retrying…`);
  } finally {
    busy = false;
  }
}

function stamp() {
  const live = document.getElementById('live');
  live.hidden = false;
  live.classList.remove('stale');
  live.textContent = `Live · updated ${new Date(data.loadedAt).toLocaleTimeString()}`;
}

function connection(message) {
  const box = document.getElementById('connection');
  box.hidden = !message;
  box.textContent = message ?? '';
  if (message) document.getElementById('live').classList.add('stale');
}

function markNav() {
  const section = location.hash.split('/').slice(0, 2).join('/');
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.getAttribute('href') === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function frame(signedIn) {
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('sign-out').hidden = !signedIn;
  document.getElementById('live').hidden = !signedIn;
  const who = document.getElementById('who');
  who.hidden = !signedIn;
  who.textContent = session.admin ? 'Signed in as admin' : 'Signed in with a project token';
  for (const item of document.querySelectorAll('[data-admin]')) item.hidden = !session.admin;
}

// -- signing in and out -------------------------------------------------------------------

function signInView(message = '') {
  current = null;
  frame(false);
  document.title = 'Sign in · lbaas';
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', 'aria-describedby': 'token-hint token-error', required: true });
  const error = h('p', { class: 'field-error', id: 'token-error', role: 'alert' }, message);
  const form = h('form', { novalidate: true, 'data-form': 'sign-in' },
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'Token'), input,
      h('p', { class: 'hint', id: 'token-hint' },
        'The admin token (credentials.json in the data directory, or --admin-token) or one from `lbaas token create`.'),
      error),
    h('div', { class: 'form-actions' }, button('Sign in', null, { kind: 'primary', type: 'submit' })));
  form.addEventListener('submit', (event) => { event.preventDefault(); signIn(input.value.trim(), error); });
  main.replaceChildren(h('div', { class: 'signin' }, h('section', { class: 'panel', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to lbaas'),
    h('p', {}, 'The dashboard calls the lbaas API with your token; it is kept in this tab only.'),
    form)));
  input.focus();
}

async function signIn(token, error) {
  error.textContent = '';
  if (!token) { error.textContent = 'Enter a token.'; return; }
  try {
    await api.probe('/v2.0/lb/pools', token);
  } catch (exc) {
    error.textContent = exc.status === 401 ? 'This token is not accepted by the API.'
      : exc.status === 429 ? 'Too many failed attempts from here: wait a minute and try again.'
        : `Could not sign in: ${exc.summary ?? exc.message}`;
    return;
  }
  const admin = await api.probe('/v2.0/agents', token).then(() => true, () => false);
  session.start(token, admin);
  await start();
}

function signOut(message = '') {
  for (const open of document.querySelectorAll('dialog[open]')) open.close();
  session.end();
  history.replaceState(null, '', '#/pools');
  signInView(message);
}

async function start(focus = true) {
  try {
    await loadRules();
  } catch (exc) {
    main.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, `Could not read the API's rules: ${exc.message}`));
    return;
  }
  frame(true);
  if (!location.hash || location.hash === '#') history.replaceState(null, '', '#/pools');
  await show(focus);
}

window.addEventListener('hashchange', () => show());
window.addEventListener('lbaas:unauthorized', () => signOut('The API no longer accepts this token: sign in again.'));
document.addEventListener('visibilitychange', () => { if (!document.hidden) tick(true); });
document.getElementById('sign-out').addEventListener('click', () => signOut());
document.querySelector('.skip-link').addEventListener('click', (event) => {
  event.preventDefault();  // the hash names views: move focus without changing it
  main.focus();
});
onChange(() => tick(true));

if (session.token) start(false); else signInView();
setInterval(() => tick(), POLL_MS);
