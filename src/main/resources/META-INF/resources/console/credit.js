// Prepaid credit of one account (contract §11), for root and the owner: the grants (root adds and voids them), the
// ledger page by page, and the balance.low threshold.
import { api, enc } from './api.js';
import { h, clear, field, table } from './dom.js';
import { attempt, credits, say, when } from './ui.js';

export function creditSection(slug, { root }) {
  const base = `/admin/accounts/${enc(slug)}`;
  const grants = h('div');
  const ledger = h('div');
  const alertNow = h('p', { class: 'muted' });

  async function loadGrants() {
    const { grants: list } = await api('GET', `${base}/grants?status=all`);
    clear(grants, table(['Grant', 'Category', 'Priority', 'Credits', 'Remaining', 'Effective', 'Expires', 'Source', 'Note', ''],
      list.map((g) => [g.id.slice(0, 8), g.category, g.priority, credits(g.credits), credits(g.remaining), when(g.effectiveAt),
        when(g.expiresAt), g.source, g.note ?? '',
        g.voidedAt ? `voided ${when(g.voidedAt)}` : root ? h('button', { type: 'button', class: 'danger', onclick: () => attempt(async () => {
          await api('POST', `${base}/grants/${enc(g.id)}/void`);
          say(`Grant ${g.id.slice(0, 8)} voided.`);
          await reload();
        }) }, 'Void') : '']), 'Grants, oldest first; drawn by priority, soonest expiry, promotional before paid, oldest'));
  }

  let next = null;
  async function loadLedger(more) {
    const params = new URLSearchParams({ limit: '25' });
    if (more && next) params.set('cursor', next);
    const page = await api('GET', `${base}/ledger?${params}`);
    next = page.nextCursor;
    const rows = page.entries.map((e) => [String(e.seq), when(e.at), e.kind, e.grantId ? e.grantId.slice(0, 8) : '—',
      (e.credits > 0 ? '+' : '') + credits(e.credits), credits(e.balance)]);
    const body = more ? ledger.querySelector('tbody') : null;
    if (body) rows.forEach((r) => body.append(h('tr', {}, r.map((c) => h('td', {}, c)))));
    else clear(ledger, table(['#', 'When', 'Kind', 'Grant', 'Credits', 'Balance after'], rows, 'Ledger, newest first'));
    ledger.append(next ? h('button', { type: 'button', onclick: (e) => {
      e.target.remove();
      attempt(() => loadLedger(true));
    } }, 'Older entries') : '');
  }

  async function loadAlert() {
    const a = await api('GET', `${base}/balance-alert`);
    alertNow.textContent = a.belowCredits === null ? 'No balance.low threshold is set.'
      : `balance.low is sent when the balance falls below ${credits(a.belowCredits)}.`;
  }

  const reload = () => Promise.all([loadGrants(), loadLedger(false)]);

  const below = field('Alert below (credits)', { type: 'number', min: 0, step: '1', placeholder: '10000' });
  const alertForm = h('form', { class: 'inline', onsubmit: (e) => {
    e.preventDefault();
    attempt(async () => {
      await api('PUT', `${base}/balance-alert`, { belowCredits: below.input.value === '' ? null : Number(below.input.value) });
      below.input.value = '';
      await loadAlert();
      say('Balance alert saved.');
    });
  } }, below.row, h('button', { type: 'submit' }, 'Save alert'));

  const amount = field('Credits', { type: 'number', required: true, min: 1, step: '1' });
  const category = field('Category', { options: ['paid', 'promotional'], value: 'paid' });
  const priority = field('Priority (0 first)', { type: 'number', min: 0, max: 100, value: '50' });
  const expires = field('Expires (UTC, optional)', { type: 'datetime-local' });
  const note = field('Note', { maxlength: 200 });
  const addForm = root ? h('form', { class: 'grid', 'aria-labelledby': 'grant-h', onsubmit: (e) => {
    e.preventDefault();
    attempt(async () => {
      const body = { credits: Number(amount.input.value), category: category.input.value, priority: Number(priority.input.value || 50) };
      if (expires.input.value) body.expiresAt = new Date(expires.input.value + 'Z').toISOString();
      if (note.input.value) body.note = note.input.value;
      const g = await api('POST', `${base}/grants`, body);
      say(`Granted ${credits(g.credits)} to ${slug}.`);
      addForm.reset();
      await reload();
    });
  } }, h('h3', { id: 'grant-h' }, 'Add a grant'), amount.row, category.row, priority.row, expires.row, note.row,
  h('button', { type: 'submit' }, 'Add grant')) : null;

  attempt(() => Promise.all([reload(), loadAlert()]));
  return h('section', { 'aria-labelledby': 'credit-h' }, h('h2', { id: 'credit-h' }, 'Prepaid credit'),
    addForm, grants, h('h3', {}, 'Balance alert'), alertNow, alertForm, h('h3', {}, 'Ledger'), ledger);
}
