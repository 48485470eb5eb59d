// The console shell: the token screen, who the token belongs to, the navigation and the hash router.
import { api, onUnauthorized, token } from './api.js';
import { h, clear, field } from './dom.js';
import { attempt, describe, unsay } from './ui.js';
import { rootNav, rootRoute } from './root.js';
import { ownerNav, ownerRoute } from './owner.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const signout = document.getElementById('signout');

/** Who a token speaks for, read from its format (§2); the server still decides everything. */
function identify(t) {
  const m = /^(vtr|vts|vta)_(?:(.+)_)?[0-9A-Za-z]{40}$/.exec(t);
  if (!m) return null;
  if (m[1] === 'vtr') return { kind: 'root' };
  return m[2] ? { kind: m[1] === 'vts' ? 'service' : 'api', slug: m[2] } : null;
}

function signIn(message) {
  token.clear();
  clear(nav);
  who.textContent = '';
  signout.hidden = true;
  const input = field('Token', { type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const error = h('p', { class: 'error', role: 'alert' }, message || '');
  clear(main, h('form', { class: 'signin', onsubmit: async (e) => {
    e.preventDefault();
    const t = input.input.value.trim();
    const id = identify(t);
    if (!id) {
      error.textContent = 'That is not a Sluice token: it starts with vtr_, vts_ or vta_ and ends in 40 letters and digits.';
      return;
    }
    token.set(t);
    try {
      // One cheap call proves the token before any screen is drawn.
      if (id.kind === 'root') await api('GET', '/admin/accounts?limit=1');
      else await api('GET', '/v1/usage');
      const home = id.kind === 'root' ? '#/accounts' : '#/overview';
      // A changed hash starts the console through the hashchange listener; an unchanged one does not.
      if (location.hash === home) start();
      else location.hash = home;
    } catch (err) {
      if (err.status !== 401) {
        token.clear();
        error.textContent = describe(err);
      }
    }
  } },
  h('h1', {}, 'Sluice console'),
  h('p', {}, 'Paste a root token (vtr_…), an account’s service token (vts_…) or an api token (vta_…). It stays in this browser tab only, and is sent to this service alone.'),
  input.row, error, h('button', { type: 'submit' }, 'Open console')));
  input.input.focus();
}

onUnauthorized(() => signIn('The token was refused (401). Paste a valid token.'));
signout.addEventListener('click', () => {
  unsay();
  location.hash = '';
  signIn();
});

function start() {
  const id = identify(token.get() || '');
  if (!id) return signIn();
  const items = id.kind === 'root' ? rootNav : ownerNav(id.kind === 'service');
  who.textContent = id.kind === 'root' ? 'root operator' : `${id.slug} · ${id.kind} token`;
  signout.hidden = false;
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  clear(nav, h('ul', {}, items.map(([href, label]) => h('li', {},
    h('a', { href, 'aria-current': href === '#/' + (parts[0] || '') ? 'page' : null }, label)))));
  clear(main, h('p', { class: 'muted' }, 'Loading…'));
  attempt(() => (id.kind === 'root' ? rootRoute(main, parts) : ownerRoute(main, parts, id.slug, id.kind === 'service')));
}

window.addEventListener('hashchange', () => {
  if (!token.get()) return;
  unsay();
  start();
  main.focus();
});
start();
