import { h, clear } from './dom.js';

export const credits = (n) => Number(n).toLocaleString('en-US') + (Number(n) === 1 ? ' credit' : ' credits');

export function usd(n) {
  const v = Number(n);
  if (v > 0 && v < 0.01) return '$' + v.toFixed(6).replace(/0+$/, '');
  return '$' + v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i ? v.toFixed(1) : String(v)) + ' ' + units[i];
}

/** One window's gauge: a native meter (accessible, no inline style) and the numbers in words beside it. */
export function gauge(label, used, limit, detail) {
  const u = Number(used);
  const l = Number(limit);
  return h('div', { class: 'gauge' },
    h('div', { class: 'gauge-head' }, h('strong', {}, label), h('span', {}, l > 0 ? Math.round((u / l) * 100) + ' %' : 'unmetered')),
    h('meter', { min: 0, max: l > 0 ? l : 1, value: l > 0 ? Math.min(u, l) : 0, low: l * 0.8, high: l * 0.8, optimum: 0, 'aria-label': label }),
    h('p', { class: 'gauge-detail' }, detail));
}

/** The usage view of §6 as gauges: day and month in credits and dollars, then bytes and sessions where metered. */
export function usageGauges(view) {
  const win = (name, w, usedUsd, limitUsd) => gauge(name, Number(w.used) + Number(w.leased), w.limit,
    `${credits(w.used)} used, ${credits(w.leased)} leased of ${credits(w.limit)} · ${usd(usedUsd)} of ${usd(limitUsd)} · ${credits(w.remaining)} left · resets ${when(w.resetAt)}`);
  const out = [
    h('p', { class: 'level level-' + view.level }, 'Level: ', h('strong', {}, view.level), ` · plan ${view.plan} · ${view.status} · ${view.openTunnels} of ${view.concurrentMax} tunnels open`),
    h('div', { class: 'gauges' },
      win('Today', view.day, view.usd.dayUsed, view.usd.dayLimit),
      win('This month', view.month, view.usd.monthUsed, view.usd.monthLimit),
      view.bytes && view.bytes.limit > 0
        ? gauge('Bytes (7 days)', view.bytes.used, view.bytes.limit, `${bytes(view.bytes.used)} of ${bytes(view.bytes.limit)} · resets ${when(view.bytes.resetAt)}`) : null,
      view.sessionSeconds && view.sessionSeconds.limit > 0
        ? gauge('Session time (24 h)', view.sessionSeconds.used, view.sessionSeconds.limit,
          `${view.sessionSeconds.used} s of ${view.sessionSeconds.limit} s · resets ${when(view.sessionSeconds.resetAt)}`) : null),
  ];
  if (view.balance) {
    const b = view.balance;
    const expiry = b.nextExpiry ? ` · ${credits(b.nextExpiry.credits)} expire ${when(b.nextExpiry.at)}` : '';
    out[1].append(h('div', { class: 'gauge' },
      h('div', { class: 'gauge-head' }, h('strong', {}, 'Prepaid balance'), h('span', {}, credits(b.available) + ' available')),
      h('meter', { min: 0, max: Math.max(1, Number(b.remaining)), value: Math.max(0, Number(b.available)), low: Number(b.remaining) * 0.2,
        high: Number(b.remaining) * 0.5, optimum: Number(b.remaining), 'aria-label': 'Prepaid balance available' }),
      h('p', { class: 'gauge-detail' }, `${credits(b.remaining)} in the balance, ${credits(b.held)} of it held by open tunnels${expiry}`)));
  }
  if (!(view.bytes && view.bytes.limit > 0) && !(view.sessionSeconds && view.sessionSeconds.limit > 0)) {
    out.push(h('p', { class: 'muted' }, 'Bytes and session time are not metered on this plan.'));
  }
  return out;
}

/** A bar chart of daily credits, drawn as SVG by hand; each bar carries its date and value as a title. */
export function seriesChart(series) {
  const buckets = series.buckets;
  const values = buckets.map((b) => Number(b.totals.credit));
  const max = Math.max(1, ...values);
  const W = 600;
  const H = 160;
  const bw = W / Math.max(1, buckets.length);
  const total = values.reduce((a, b) => a + b, 0);
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H + 20}`, class: 'chart', role: 'img',
    'aria-label': `Credits per day from ${series.fromDate} to ${series.toDate}: ${total.toLocaleString('en-US')} in all, at most ${max.toLocaleString('en-US')} a day` },
  h('svg:line', { x1: 0, y1: H, x2: W, y2: H, class: 'axis' }),
  buckets.map((b, i) => {
    const v = values[i];
    const bh = v ? Math.max(1, (v / max) * (H - 10)) : 0;
    return h('svg:rect', { x: i * bw + bw * 0.1, y: H - bh, width: bw * 0.8, height: bh, class: 'bar' },
      h('svg:title', {}, `${b.date}: ${v.toLocaleString('en-US')} credits, ${b.totals.tunnel} tunnels`));
  }),
  h('svg:text', { x: 0, y: H + 16, class: 'tick' }, series.fromDate),
  h('svg:text', { x: W, y: H + 16, class: 'tick end' }, series.toDate));
  return h('figure', { class: 'series' }, svg,
    h('figcaption', {}, `${total.toLocaleString('en-US')} credits over ${buckets.length} days (to ${series.toDate}); busiest day ${max.toLocaleString('en-US')}.`));
}

/** A secret shown once: selectable text, a copy button and a plain warning that it will not be shown again. */
export function shownOnce(label, secret) {
  const out = h('output', { class: 'secret' }, secret);
  const note = h('span', { class: 'muted', 'aria-live': 'polite' });
  const copy = h('button', { type: 'button', onclick: async () => {
    try {
      await navigator.clipboard.writeText(secret);
      note.textContent = 'Copied.';
    } catch {
      getSelection().selectAllChildren(out);
      note.textContent = 'Selected: press Ctrl+C to copy.';
    }
  } }, 'Copy');
  return h('section', { class: 'once', 'aria-label': label },
    h('h3', {}, label),
    h('p', { class: 'warning' }, 'Copy it now: this is the only time it is shown. Sluice keeps only its hash, so it cannot show it again.'),
    h('div', { class: 'secret-row' }, out, copy, note));
}

const status = () => document.getElementById('status');

export function say(text) {
  clear(status(), h('p', { class: 'ok' }, text));
}

export function unsay() {
  clear(status());
}

/** An API error in plain words, from its body's message and code (§3). */
export function describe(err) {
  const b = err.body || {};
  if (err.code === 'GLOBAL_CEILING_EXCEEDED') {
    const room = Math.max(0, Number(b.ceiling) - Number(b.allocated));
    const window = b.window === 'day' ? 'daily' : 'monthly';
    return `Refused: the ${window} global ceiling is ${credits(b.ceiling)}${perCredit ? ' (' + usd(b.ceiling * perCredit) + ')' : ''}`
      + ` and ${credits(b.allocated)} of it is already allocated, so only ${credits(room)}${perCredit ? ' (' + usd(room * perCredit) + ')' : ''}`
      + ` is left; this change asks for ${credits(b.requested)}${perCredit ? ' (' + usd(b.requested * perCredit) + ')' : ''} more. (409 GLOBAL_CEILING_EXCEEDED)`;
  }
  let text = `${err.message} (${err.status ? err.status + ' ' : ''}${err.code})`;
  if (b.field) text += ` — field: ${b.field}`;
  if (err.status === 429) text += `. Try again in ${b.retryAfter ?? err.retryAfter ?? 'a few'} seconds.`;
  if (err.status === 503) text += '. Nothing was changed; try again in a moment.';
  return text;
}

let perCredit = 0;
/** Dollars per credit, learnt from the global allocation (credits and dollars of one ceiling) that root reads. */
export function learnPrice(global) {
  if (global && Number(global.day) > 0) perCredit = Number(global.usd.day) / Number(global.day);
}

export function fail(err) {
  if (err.status === 401) return;
  clear(status(), h('p', { class: 'error' }, describe(err)));
  status().scrollIntoView({ block: 'nearest' });
}

/** Runs an action, showing its failure in words; a failure never goes unseen. */
export async function attempt(action) {
  try {
    unsay();
    return await action();
  } catch (err) {
    if (!err.status && !err.code) throw err;
    fail(err);
    return undefined;
  }
}
