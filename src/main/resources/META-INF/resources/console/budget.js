// Budgets of one account (contract §12), for its owner: spending caps and alert thresholds for the whole account or
// one token, each with what it has spent in its window; and usage by token.
import { api, enc } from './api.js';
import { h, clear, field, table } from './dom.js';
import { attempt, credits, gauge, say, usd } from './ui.js';

const TUNNEL_SECRET = 'tunnel-secret';

/** "50, 80, 100" or "50 %, $5" → thresholds; a bare number is a share of the limit, $n an amount. */
function parseThresholds(text) {
  return text.split(',').map((t) => t.trim()).filter(Boolean).map((t) => (t.startsWith('$')
    ? { usd: Number(t.slice(1)) } : { pct: Number(t.replace('%', '').trim()) }));
}

const showThresholds = (list) => list.map((t) => (t.pct !== null ? `${t.pct} %` : `$${t.usd}`)).join(', ') || 'none';

export async function budgetsPage(main, slug) {
  const base = `/admin/accounts/${enc(slug)}/budgets`;
  const { tokens } = await api('GET', `/admin/accounts/${enc(slug)}/tokens`);
  const apiTokens = tokens.filter((t) => t.kind === 'api');
  const tokenName = (id) => {
    if (id === null) return 'whole account';
    if (id === TUNNEL_SECRET) return 'TUNNEL_SECRET tunnels';
    const t = apiTokens.find((x) => x.id === id);
    return t ? `${t.name ?? 'token'} …${t.last4}` : id.slice(0, 8);
  };
  const scopes = [['', 'Whole account'], ...apiTokens.filter((t) => !t.revokedAt).map((t) => [t.id, tokenName(t.id)]),
    [TUNNEL_SECRET, 'TUNNEL_SECRET tunnels']];

  const list = h('div');
  const byToken = h('div');
  let editing = null;

  const name = field('Name', { maxlength: 100, autocomplete: 'off' });
  const scopeId = 'budget-scope';
  const scope = h('select', { id: scopeId }, scopes.map(([value, label]) => h('option', { value }, label)));
  const scopeRow = h('div', { class: 'field' }, h('label', { for: scopeId }, 'Counts'), scope);
  const period = field('Window', { options: ['day', 'month'], value: 'month' });
  const limit = field('Limit (USD)', { type: 'number', required: true, min: '0.000001', step: '0.000001' });
  const action = field('When reached', { options: ['notify', 'block'], value: 'notify' });
  const thresholds = field('Alert at (% of the limit, or $amount; comma-separated)', { value: '50, 80, 100', autocomplete: 'off' });
  const submit = h('button', { type: 'submit' }, 'Add budget');
  const cancel = h('button', { type: 'button', hidden: true, onclick: () => stopEditing() }, 'Cancel');

  function stopEditing() {
    editing = null;
    form.reset();
    scope.disabled = false;
    period.input.disabled = false;
    submit.textContent = 'Add budget';
    cancel.hidden = true;
  }

  function edit(b) {
    editing = b;
    name.input.value = b.name ?? '';
    scope.value = b.tokenId ?? '';
    scope.disabled = true;
    period.input.value = b.window;
    period.input.disabled = true;
    limit.input.value = String(b.usd.limit);
    action.input.value = b.action;
    thresholds.input.value = b.thresholds.map((t) => (t.pct !== null ? String(t.pct) : `$${t.usd}`)).join(', ');
    submit.textContent = 'Save budget';
    cancel.hidden = false;
    name.input.focus();
  }

  async function load() {
    const { budgets } = await api('GET', base);
    clear(list, table(['Budget', 'Counts', 'Window', 'When reached', 'Spent', 'Alerts at', ''], budgets.map((b) => [
      b.name ?? b.id.slice(0, 8), tokenName(b.tokenId), b.window, b.action,
      gauge(`Spent of ${b.name ?? 'budget'}`, b.spent, b.limit, `${usd(b.usd.spent)} of ${usd(b.usd.limit)} · ${credits(b.spent)} of ${credits(b.limit)}`),
      showThresholds(b.thresholds),
      h('span', { class: 'actions' },
        h('button', { type: 'button', onclick: () => edit(b) }, 'Edit'),
        h('button', { type: 'button', class: 'danger', onclick: () => attempt(async () => {
          await api('DELETE', `${base}/${enc(b.id)}`);
          say(`Budget ${b.name ?? b.id.slice(0, 8)} deleted.`);
          if (editing && editing.id === b.id) stopEditing();
          await load();
        }) }, 'Delete'))]), 'Budgets: spent this window against the limit'));
  }

  async function loadByToken() {
    const rows = await Promise.all([...apiTokens.map((t) => t.id), TUNNEL_SECRET].map(async (id) => {
      const v = await api('GET', `/v1/usage?token=${enc(id)}`);
      return [tokenName(id), credits(v.day.used), credits(v.month.used), credits(v.day.leased), String(v.openTunnels)];
    }));
    clear(byToken, table(['Token', 'Today', 'This month', 'Held now', 'Open tunnels'], rows, 'Credits billed to each token’s tunnels'));
  }

  const form = h('form', { class: 'grid', 'aria-labelledby': 'budget-form-h', onsubmit: (e) => {
    e.preventDefault();
    attempt(async () => {
      const body = { limitUsd: Number(limit.input.value), action: action.input.value,
        thresholds: parseThresholds(thresholds.input.value) };
      if (name.input.value) body.name = name.input.value;
      if (editing) {
        const b = await api('PATCH', `${base}/${enc(editing.id)}`, body);
        say(`Budget ${b.name ?? b.id.slice(0, 8)} saved.`);
      } else {
        body.window = period.input.value;
        if (scope.value) body.tokenId = scope.value;
        const b = await api('POST', base, body);
        say(`Budget ${b.name ?? b.id.slice(0, 8)} added.`);
      }
      stopEditing();
      await load();
    });
  } }, h('h2', { id: 'budget-form-h' }, 'Add or edit a budget'), name.row, scopeRow, period.row, limit.row, action.row,
  thresholds.row, h('p', { class: 'muted' }, 'A blocking budget refuses leases and registrations in its scope once its limit is reached; every budget sends budget.threshold webhooks, once per threshold per window.'),
  h('span', { class: 'actions' }, submit, cancel));

  clear(main, h('h1', {}, 'Budgets'), form, list, h('h2', {}, 'Usage by token'), byToken);
  return attempt(() => Promise.all([load(), loadByToken()]));
}
