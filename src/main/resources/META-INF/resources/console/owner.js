// The account owner's screens (service token), the read-only ones an api token may see, and a team member's
// reading of an owner's usage with X-Account.
import { api, decodedOr, enc } from './api.js';
import { h, clear, field, table } from './dom.js';
import { attempt, bytes, credits, say, seriesChart, shownOnce, usageGauges, when } from './ui.js';
import { planSection, tokensSection } from './shared.js';
import { creditSection } from './credit.js';
import { budgetsPage } from './budget.js';

export function ownerNav(service) {
  return service
    ? [['#/overview', 'Overview'], ['#/tunnels', 'Tunnels'], ['#/tokens', 'Tokens'], ['#/webhooks', 'Webhooks'],
      ['#/team', 'Team'], ['#/budgets', 'Budgets'], ['#/credit', 'Credit'], ['#/subdomains', 'Subdomains'], ['#/workers', 'Workers'], ['#/plan', 'Plan'], ['#/memberships', 'Shared with me']]
    : [['#/overview', 'Overview'], ['#/tunnels', 'Tunnels'], ['#/memberships', 'Shared with me']];
}

export function ownerRoute(main, parts, slug, service) {
  const page = parts[0];
  if (page === 'read' && parts[1]) return overview(main, decodedOr(parts[1], ''), true);
  if (page === 'memberships') return memberships(main);
  if (page === 'tunnels') return tunnels(main);
  if (service) {
    if (page === 'tokens') return clear(main, h('h1', {}, 'API tokens'), tokensSection(slug, { root: false }));
    if (page === 'webhooks') return webhooks(main, slug);
    if (page === 'team') return team(main, slug);
    if (page === 'budgets') return budgetsPage(main, slug);
    if (page === 'credit') return clear(main, h('h1', {}, 'Prepaid credit'), creditSection(slug, { root: false }));
    if (page === 'subdomains') return subdomains(main);
    if (page === 'workers') return workers(main);
    if (page === 'plan') return plan(main, slug);
  }
  return overview(main, slug, false);
}

/** Usage gauges and the daily series; as a member, the owner's, read with X-Account. */
async function overview(main, slug, asMember) {
  const headers = asMember ? { 'X-Account': slug } : {};
  const view = await api('GET', '/v1/usage', undefined, headers);
  const chart = h('div');
  const days = field('Days', { options: ['7', '30', '90'], value: '30' });
  const draw = () => attempt(async () => clear(chart,
    seriesChart(await api('GET', '/v1/usage/series?days=' + enc(days.input.value), undefined, headers))));
  days.input.addEventListener('change', draw);
  clear(main,
    h('h1', {}, asMember ? `Usage of ${view.slug} (shared with you)` : `Overview of ${view.slug}`),
    usageGauges(view),
    h('section', { 'aria-labelledby': 'series-h' }, h('h2', { id: 'series-h' }, 'Credits per day'), days.row, chart));
  return draw();
}

async function tunnels(main) {
  const { tunnels: open } = await api('GET', '/v1/tunnels');
  clear(main, h('h1', {}, 'Open tunnels'), table(['Subdomain', 'Opened', 'Last activity', 'Held', 'Consumed', 'In', 'Out', 'Session'],
    open.map((t) => [h('span', {}, t.subdomain, t.passwordProtected ? ' (password)' : ''), when(t.createdAt), when(t.lastActivityAt),
      credits(t.held), credits(t.consumed), bytes(t.bytesIn), bytes(t.bytesOut), t.sessionSeconds + ' s']), 'Open tunnels, oldest first'));
}

async function memberships(main) {
  const { memberships: list } = await api('GET', '/v1/memberships');
  clear(main, h('h1', {}, 'Shared with me'),
    h('p', {}, 'Owners who let this account read their usage. Choose one to read it.'),
    list.length ? h('ul', { class: 'owners' }, list.map((m) => h('li', {},
      h('a', { href: '#/read/' + enc(m.owner) }, `Read ${m.owner}’s usage`), ` · ${m.role} since ${when(m.createdAt)}`)))
      : h('p', { class: 'muted' }, 'No owner has shared usage with this account.'));
}

async function webhooks(main, slug) {
  const base = `/admin/accounts/${enc(slug)}/webhooks`;
  const url = field('Endpoint URL', { type: 'url', required: true, placeholder: 'https://example.com/hooks/sluice' });
  const types = ['quota.warning_80pct', 'quota.exceeded', 'quota.recovered', 'plan.downgraded', 'tunnel.closed',
    'balance.low', 'balance.depleted', 'grant.expired', 'budget.threshold'];
  const boxes = types.map((t) => {
    const id = 'ev-' + t.replace(/\W/g, '-');
    const input = h('input', { type: 'checkbox', id, value: t, checked: true });
    return { input, row: h('div', { class: 'check' }, input, h('label', { for: id }, t)) };
  });
  const fresh = h('div');
  const list = h('div');
  const deliveries = h('div', { 'aria-live': 'polite' });
  async function load() {
    const { webhooks: hooks } = await api('GET', base);
    clear(list, table(['URL', 'Events', 'Created', ''], hooks.map((w) => [w.url, w.events.join(', '), when(w.createdAt),
      h('span', { class: 'actions' },
        h('button', { type: 'button', onclick: () => attempt(async () => {
          const { deliveries: d } = await api('GET', `${base}/${enc(w.id)}/deliveries`);
          clear(deliveries, table(['Event', 'Type', 'Attempted', 'Response', 'Status', 'Error'], d.map((x) => [
            x.eventId, x.type, when(x.attemptedAt), x.statusCode ?? '—', x.status, x.error ?? '']), `Deliveries to ${w.url}`));
        }) }, 'Deliveries'),
        h('button', { type: 'button', class: 'danger', onclick: () => attempt(async () => {
          await api('DELETE', `${base}/${enc(w.id)}`);
          clear(deliveries);
          await load();
        }) }, 'Remove'))]), 'Webhook endpoints'));
  }
  clear(main, h('h1', {}, 'Webhooks'), fresh,
    h('form', { class: 'grid', onsubmit: (e) => {
      e.preventDefault();
      attempt(async () => {
        const w = await api('POST', base, { url: url.input.value, events: boxes.filter((b) => b.input.checked).map((b) => b.input.value) });
        clear(fresh, shownOnce(`Signing secret of ${w.url}`, w.secret));
        url.input.value = '';
        await load();
      });
    } }, url.row, h('fieldset', {}, h('legend', {}, 'Events'), boxes.map((b) => b.row)), h('button', { type: 'submit' }, 'Add webhook')),
    list, deliveries);
  return attempt(load);
}

async function team(main, slug) {
  const base = `/admin/accounts/${enc(slug)}/members`;
  const member = field('Member account (slug)', { required: true, autocomplete: 'off' });
  const list = h('div');
  async function load() {
    const { members } = await api('GET', base);
    clear(list, table(['Member', 'Role', 'Since', ''], members.map((m) => [m.member, m.role, when(m.createdAt),
      h('button', { type: 'button', class: 'danger', onclick: () => attempt(async () => {
        await api('DELETE', `${base}/${enc(m.member)}`);
        await load();
      }) }, 'Remove')]), 'Members who may read this account’s usage'));
  }
  clear(main, h('h1', {}, 'Team'),
    h('form', { class: 'inline', onsubmit: (e) => {
      e.preventDefault();
      attempt(async () => {
        await api('POST', base, { member: member.input.value, role: 'viewer' });
        say(`${member.input.value} may now read this account’s usage.`);
        member.input.value = '';
        await load();
      });
    } }, member.row, h('button', { type: 'submit' }, 'Add member')), list);
  return attempt(load);
}

/** A name list under /v1 (subdomains, workers): add by name, remove by key. */
function named(main, title, path, key, columns, row) {
  const name = field('Name', { required: true, autocomplete: 'off' });
  const list = h('div');
  async function load() {
    const data = await api('GET', path);
    clear(list, table([...columns, ''], data[key].map((x) => [...row(x),
      h('button', { type: 'button', class: 'danger', onclick: () => attempt(async () => {
        await api('DELETE', `${path}/${enc(x.id ?? x.name)}`);
        await load();
      }) }, 'Remove')]), title));
  }
  clear(main, h('h1', {}, title),
    h('form', { class: 'inline', onsubmit: (e) => {
      e.preventDefault();
      attempt(async () => {
        await api('POST', path, { name: name.input.value });
        name.input.value = '';
        await load();
      });
    } }, name.row, h('button', { type: 'submit' }, 'Add')), list);
  return attempt(load);
}

const subdomains = (main) => named(main, 'Reserved subdomains', '/v1/subdomains', 'subdomains', ['Name', 'Reserved'],
  (s) => [s.name, when(s.reservedAt)]);
const workers = (main) => named(main, 'Workers', '/v1/workers', 'workers', ['Name', 'Status', 'Created', 'Quarantined'],
  (w) => [w.name, w.status, when(w.createdAt), when(w.quarantinedAt)]);

async function plan(main, slug) {
  const a = await api('GET', `/admin/accounts/${enc(slug)}`);
  const suspended = a.status === 'suspended';
  clear(main, h('h1', {}, 'Plan and account'),
    h('p', {}, `Status: ${suspended ? 'suspended by ' + a.suspendedBy : 'active'}.`),
    h('button', { type: 'button', class: suspended ? '' : 'danger', onclick: () => attempt(async () => {
      const r = await api('POST', `/admin/accounts/${enc(slug)}/${suspended ? 'resume' : 'suspend'}`);
      await plan(main, slug);
      say(`${r.slug} is now ${r.status}.`);
    }) }, suspended ? 'Resume account' : 'Suspend account'),
    planSection(slug, a.plan, { onConfirm: null }),
    h('p', { class: 'muted' }, 'A plan changes through billing or an operator; the preview shows what the change would do.'));
}
