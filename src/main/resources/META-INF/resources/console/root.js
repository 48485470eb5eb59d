// The root operator's screens: accounts and the global allocation, one account, audit, Stripe events, usage.
import { api, decodedOr, enc } from './api.js';
import { h, clear, field, table } from './dom.js';
import { attempt, credits, gauge, learnPrice, say, shownOnce, usageGauges, usd, when } from './ui.js';
import { PLANS, planSection, tokensSection } from './shared.js';
import { creditSection } from './credit.js';

export const rootNav = [['#/accounts', 'Accounts'], ['#/audit', 'Audit log'], ['#/stripe', 'Stripe events'], ['#/usage', 'Usage']];

export function rootRoute(main, parts) {
  if (parts[0] === 'account' && parts[1]) return accountPage(main, parts[1]);
  if (parts[0] === 'audit') return auditPage(main, parts[1]);
  if (parts[0] === 'stripe') return stripePage(main);
  if (parts[0] === 'usage') return usagePage(main);
  return accountsPage(main);
}

function accountsPage(main) {
  const q = field('Search by slug, name or email (prefix)', { type: 'search', name: 'q', maxlength: 200, autocomplete: 'off' });
  const globalBox = h('div', { class: 'gauges' });
  const results = h('div');
  const created = h('div');
  let cursors = [];
  let latest = 0;

  async function load(cursor) {
    const params = new URLSearchParams({ limit: '25' });
    if (q.input.value) params.set('q', q.input.value);
    if (cursor) params.set('cursor', cursor);
    const asked = ++latest;
    const page = await api('GET', '/admin/accounts?' + params);
    // A slower answer to an earlier search must not replace the newer one.
    if (asked !== latest) return;
    const g = page.global;
    learnPrice(g);
    clear(globalBox,
      gauge('Global day allocation', g.allocated.day, g.day,
        `${usd(g.usd.allocated.day)} of ${usd(g.usd.day)} allocated · ${credits(g.allocated.day)} of ${credits(g.day)}`),
      gauge('Global month allocation', g.allocated.month, g.month,
        `${usd(g.usd.allocated.month)} of ${usd(g.usd.month)} allocated · ${credits(g.allocated.month)} of ${credits(g.month)}`));
    clear(results,
      table(['Account', 'Name', 'Email', 'Plan', 'Status', 'Day limit', 'Month limit'], page.accounts.map((a) => [
        h('a', { href: '#/account/' + enc(a.slug) }, a.slug), a.name ?? '—', a.email ?? '—', a.plan, a.status,
        usd(a.usd.dayLimit), usd(a.usd.monthLimit)]), q.input.value ? `Accounts starting with “${q.input.value}”` : 'Accounts'),
      h('div', { class: 'actions' },
        cursors.length ? h('button', { type: 'button', onclick: () => attempt(() => load(cursors.pop() || null)) }, 'Previous page') : null,
        page.nextCursor ? h('button', { type: 'button', onclick: () => {
          cursors.push(cursor);
          attempt(() => load(page.nextCursor));
        } }, 'Next page') : null));
  }

  const slug = field('Slug', { required: true, pattern: '[a-z0-9][a-z0-9\\-]{1,62}', autocomplete: 'off' });
  const name = field('Name', { maxlength: 200 });
  const email = field('Email', { type: 'email' });
  const plan = field('Plan', { options: PLANS, value: 'free' });
  const dayUsd = field('Daily limit ($)', { type: 'number', min: 0, step: '0.01', placeholder: '1.00' });
  const monthUsd = field('Monthly limit ($)', { type: 'number', min: 0, step: '0.01', placeholder: '10.00' });
  const createForm = h('form', { class: 'grid', 'aria-labelledby': 'create-h', onsubmit: (e) => {
    e.preventDefault();
    attempt(async () => {
      const body = { slug: slug.input.value, plan: plan.input.value };
      if (name.input.value) body.name = name.input.value;
      if (email.input.value) body.email = email.input.value;
      if (dayUsd.input.value) body.dayUsd = Number(dayUsd.input.value);
      if (monthUsd.input.value) body.monthUsd = Number(monthUsd.input.value);
      const r = await api('POST', '/admin/accounts', body);
      say(`Account ${r.account.slug} created.`);
      clear(created, shownOnce(`Service token of ${r.account.slug}`, r.serviceToken),
        h('p', {}, h('a', { href: '#/account/' + enc(r.account.slug) }, `Open ${r.account.slug}`)));
      createForm.reset();
      cursors = [];
      await load(null);
    });
  } }, h('h2', { id: 'create-h' }, 'Create an account'), slug.row, name.row, email.row, plan.row, dayUsd.row, monthUsd.row,
  h('button', { type: 'submit' }, 'Create account'));

  clear(main, h('h1', {}, 'Accounts'), globalBox,
    h('form', { role: 'search', class: 'inline', onsubmit: (e) => {
      e.preventDefault();
      cursors = [];
      attempt(() => load(null));
    } }, q.row, h('button', { type: 'submit' }, 'Search')),
    results, created, createForm);
  return attempt(() => load(null));
}

async function accountPage(main, slug) {
  const a = await api('GET', `/admin/accounts/${enc(slug)}`);
  const usageBox = h('div');
  attempt(async () => clear(usageBox, usageGauges(await api('GET', `/admin/accounts/${enc(slug)}/usage`))));

  const day = field('Daily limit ($)', { type: 'number', required: true, min: 0, step: '0.01', value: String(a.usd.dayLimit) });
  const month = field('Monthly limit ($)', { type: 'number', required: true, min: 0, step: '0.01', value: String(a.usd.monthLimit) });
  const conc = field('Concurrent tunnels', { type: 'number', min: 1, max: 10000, value: String(a.concurrentMax) });
  const chunk = field('Lease chunk (credits)', { type: 'number', min: 1, max: 1000000, value: String(a.leaseChunk) });
  const limits = h('form', { class: 'grid', 'aria-labelledby': 'limits-h', onsubmit: (e) => {
    e.preventDefault();
    attempt(async () => {
      // Only what was filled in and changed: an emptied field must not become a limit of 0.
      const change = {};
      const changed = (f, was) => f.input.value.trim() !== '' && Number(f.input.value) !== Number(was);
      if (changed(day, a.usd.dayLimit)) change.dayUsd = Number(day.input.value);
      if (changed(month, a.usd.monthLimit)) change.monthUsd = Number(month.input.value);
      if (changed(conc, a.concurrentMax)) change.concurrentMax = Number(conc.input.value);
      if (changed(chunk, a.leaseChunk)) change.leaseChunk = Number(chunk.input.value);
      await api('PATCH', `/admin/accounts/${enc(slug)}/limits`, change);
      await accountPage(main, slug);
      say(`Limits of ${slug} saved.`);
    });
  } }, h('h2', { id: 'limits-h' }, 'Limits'), day.row, month.row, conc.row, chunk.row, h('button', { type: 'submit' }, 'Save limits'));

  const suspended = a.status === 'suspended';
  clear(main,
    h('p', {}, h('a', { href: '#/accounts' }, '← Accounts')),
    h('h1', {}, a.name ? `${a.name} (${a.slug})` : a.slug),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Status'), h('dd', {}, suspended ? `suspended by ${a.suspendedBy ?? 'unknown'}` : 'active'),
      h('dt', {}, 'Plan'), h('dd', {}, a.plan),
      h('dt', {}, 'Funding'), h('dd', {}, a.funding === 'prepaid' ? 'prepaid: spends what its grants hold, within its limits' : 'postpaid: its limits alone'),
      h('dt', {}, 'Email'), h('dd', {}, a.email ?? '—'),
      h('dt', {}, 'Limits'), h('dd', {}, `${usd(a.usd.dayLimit)} a day (${credits(a.dayLimit)}), ${usd(a.usd.monthLimit)} a month (${credits(a.monthLimit)})`),
      h('dt', {}, 'Stripe customer'), h('dd', {}, a.stripeCustomerId ?? '—'),
      h('dt', {}, 'Created'), h('dd', {}, when(a.createdAt))),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: suspended ? '' : 'danger', onclick: () => attempt(async () => {
        const r = await api('POST', `/admin/accounts/${enc(slug)}/${suspended ? 'resume' : 'suspend'}`);
        await accountPage(main, slug);
        say(`${r.slug} is now ${r.status}.`);
      }) }, suspended ? 'Resume account' : 'Suspend account'),
      h('button', { type: 'button', onclick: () => attempt(async () => {
        const funding = a.funding === 'prepaid' ? 'postpaid' : 'prepaid';
        await api('PATCH', `/admin/accounts/${enc(slug)}`, { funding });
        await accountPage(main, slug);
        say(`${slug} is now ${funding}.`);
      }) }, a.funding === 'prepaid' ? 'Switch to postpaid' : 'Switch to prepaid'),
      h('a', { href: '#/audit/' + enc(slug) }, 'Audit log of this account')),
    h('section', { 'aria-labelledby': 'usage-h' }, h('h2', { id: 'usage-h' }, 'Usage'), usageBox),
    limits,
    planSection(slug, a.plan, { onConfirm: async (plan) => {
      await api('PUT', `/admin/accounts/${enc(slug)}/plan`, { plan });
      await accountPage(main, slug);
      say(`${slug} is now on the ${plan} plan.`);
    } }),
    creditSection(slug, { root: true }),
    tokensSection(slug, { root: true }));
}

function auditPage(main, initial) {
  const account = field('Account', { value: initial ? decodedOr(initial, '') : '', autocomplete: 'off' });
  const out = h('div');
  let next = null;
  async function load(append) {
    const params = new URLSearchParams({ limit: '50' });
    if (account.input.value) params.set('account', account.input.value);
    if (append && next) params.set('cursor', next);
    const page = await api('GET', '/admin/audit?' + params);
    next = page.nextCursor;
    const rows = page.entries.map((e) => [when(e.at), `${e.actor.kind} ${e.actor.tokenId ?? ''}`.trim(), e.action, e.account ?? '—', e.target ?? '—', e.outcome]);
    const body = append ? out.querySelector('tbody') : null;
    if (body) rows.forEach((r) => body.append(h('tr', {}, r.map((c) => h('td', {}, c)))));
    else clear(out, table(['When', 'Actor', 'Action', 'Account', 'Target', 'Outcome'], rows, 'Audit entries, newest first'));
    out.append(next ? h('button', { type: 'button', onclick: (e) => {
      e.target.remove();
      attempt(() => load(true));
    } }, 'More') : '');
  }
  clear(main, h('h1', {}, 'Audit log'),
    h('form', { class: 'inline', onsubmit: (e) => {
      e.preventDefault();
      attempt(() => load(false));
    } }, account.row, h('button', { type: 'submit' }, 'Filter')), out);
  return attempt(() => load(false));
}

async function stripePage(main) {
  const { events } = await api('GET', '/admin/stripe/events');
  clear(main, h('h1', {}, 'Stripe events'), table(['Event', 'Type', 'Created', 'Customer', 'Outcome'],
    events.map((e) => [e.id, e.type, when(new Date(e.created * 1000).toISOString()), e.customer ?? '—', e.outcome])));
}

async function usagePage(main) {
  const all = await api('GET', '/admin/usage');
  const columns = [
    ['Account', (v) => v.slug], ['Plan', (v) => v.plan], ['Level', (v) => v.level],
    ['Day used', (v) => Number(v.day.used)], ['Day %', (v) => v.day.pct],
    ['Month used', (v) => Number(v.month.used)], ['Month %', (v) => v.month.pct], ['Open tunnels', (v) => v.openTunnels]];
  let sortBy = 4;
  let descending = true;
  const out = h('div');
  const render = () => {
    const key = columns[sortBy][1];
    const rows = [...all.accounts].sort((x, y) => {
      const a = key(x);
      const b = key(y);
      const c = typeof a === 'number' ? a - b : String(a).localeCompare(String(b));
      return descending ? -c : c;
    });
    clear(out, h('div', { class: 'scroll' }, h('table', {}, h('caption', {}, 'All accounts’ usage; choose a column to sort'),
      h('thead', {}, h('tr', {}, columns.map(([label], i) => h('th', { scope: 'col', 'aria-sort': i === sortBy ? (descending ? 'descending' : 'ascending') : 'none' },
        h('button', { type: 'button', class: 'sort', onclick: () => {
          descending = i === sortBy ? !descending : true;
          sortBy = i;
          render();
        } }, label + (i === sortBy ? (descending ? ' ↓' : ' ↑') : '')))))),
      h('tbody', {}, rows.map((v) => h('tr', {}, columns.map(([, key2], i) => h('td', {},
        i === 0 ? h('a', { href: '#/account/' + enc(v.slug) }, v.slug) : String(key2(v))))))))));
  };
  render();
  const t = all.totals;
  clear(main, h('h1', {}, 'Usage'),
    h('p', {}, `${t.accounts} accounts · today ${credits(t.day.used)} (${usd(t.usd.dayUsed)}) · this month ${credits(t.month.used)} (${usd(t.usd.monthUsed)})`),
    out);
}
