// Sections both root and the owner use on one account: its tokens and what a plan change would do.
import { api, enc } from './api.js';
import { h, clear, field, table } from './dom.js';
import { attempt, say, shownOnce, when } from './ui.js';

export const PLANS = ['free', 'starter', 'pro'];

/** Lists, mints, revokes and rolls an account's tokens; root may also mint service tokens. */
export function tokensSection(slug, { root }) {
  const list = h('div');
  const fresh = h('div');
  const kind = field('Kind', { options: root ? ['api', 'service'] : ['api'], value: 'api' });
  const name = field('Name', { maxlength: 200, placeholder: 'laptop relay' });
  const overlap = field('Overlap when rolling (seconds, 0–86400)', { type: 'number', min: 0, max: 86400, value: '0' });

  const reveal = (minted) => clear(fresh, shownOnce(`New ${minted.kind} token “${minted.name ?? ''}” (…${minted.last4})`, minted.token));

  async function load() {
    const { tokens } = await api('GET', `/admin/accounts/${enc(slug)}/tokens`);
    clear(list, table(['Name', 'Kind', 'Ends in', 'Created', 'Last used', 'Expires', 'Revoked', ''], tokens.map((t) => [
      t.name ?? '—', t.kind, '…' + t.last4, when(t.createdAt), when(t.lastUsedAt), when(t.expiresAt), when(t.revokedAt),
      t.revokedAt ? '' : h('span', { class: 'actions' },
        h('button', { type: 'button', onclick: () => attempt(async () => {
          const body = { overlapSeconds: Number(overlap.input.value || 0) };
          reveal(await api('POST', `/admin/accounts/${enc(slug)}/tokens/${enc(t.id)}/roll`, body));
          await load();
        }) }, 'Roll'),
        h('button', { type: 'button', class: 'danger', onclick: () => attempt(async () => {
          await api('DELETE', `/admin/accounts/${enc(slug)}/tokens/${enc(t.id)}`);
          say(`Token …${t.last4} revoked.`);
          await load();
        }) }, 'Revoke')),
    ]), 'Tokens'));
  }

  const form = h('form', { class: 'inline', onsubmit: (e) => {
    e.preventDefault();
    attempt(async () => {
      const body = { kind: kind.input.value };
      if (name.input.value) body.name = name.input.value;
      reveal(await api('POST', `/admin/accounts/${enc(slug)}/tokens`, body));
      name.input.value = '';
      await load();
    });
  } }, kind.row, name.row, h('button', { type: 'submit' }, 'Mint token'));

  attempt(load);
  return h('section', { 'aria-labelledby': 'tokens-h' }, h('h2', { id: 'tokens-h' }, 'Tokens'), fresh, form, overlap.row, list);
}

/** What moving to another plan would close, release and quarantine; root may then confirm the change. */
export function planSection(slug, current, { onConfirm }) {
  const plan = field('New plan', { options: PLANS, value: current });
  const out = h('div', { 'aria-live': 'polite' });
  const preview = async () => {
    const p = await api('GET', `/admin/accounts/${enc(slug)}/plan-preview?plan=${enc(plan.input.value)}`);
    const item = (title, rows) => h('div', {}, h('h3', {}, title),
      rows.length ? h('ul', {}, rows.map((r) => h('li', {}, r))) : h('p', { class: 'muted' }, 'None.'));
    clear(out, h('div', { class: 'preview' },
      h('p', {}, `Moving ${slug} to ${p.plan}:`),
      item('Will close these tunnels', p.tunnels.map((t) => `${t.subdomain} (open since ${when(t.createdAt)})`)),
      item('Will release these subdomains', p.subdomains.map((s) => s.name)),
      item('Will quarantine these workers', p.workers.map((w) => w.name)),
      onConfirm ? h('button', { type: 'button', onclick: () => attempt(async () => {
        await onConfirm(p.plan);
        clear(out);
      }) }, `Confirm: change plan to ${p.plan}`) : null));
  };
  return h('section', { 'aria-labelledby': 'plan-h' }, h('h2', { id: 'plan-h' }, 'Plan'),
    h('p', {}, `Current plan: ${current}.`),
    h('form', { class: 'inline', onsubmit: (e) => {
      e.preventDefault();
      attempt(preview);
    } }, plan.row, h('button', { type: 'submit' }, 'Preview change')),
    out);
}
