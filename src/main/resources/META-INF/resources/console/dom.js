// Builds elements with every value as text: children that are strings become text nodes, never markup.
export function h(tag, attrs, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else if (k === 'text') el.textContent = v;
    else if (k in el && !svg && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
/** A labelled input: the label names it for screen readers and for the tests. */
export function field(label, attrs = {}) {
  const id = attrs.id || 'f' + ++ids;
  const input = attrs.options
    ? h('select', { id, name: attrs.name }, attrs.options.map((o) => h('option', { value: o, selected: o === attrs.value }, o)))
    : h('input', { id, type: 'text', ...attrs });
  return { input, row: h('div', { class: 'field' }, h('label', { for: id }, label), input) };
}

export function table(columns, rows, caption) {
  return h('div', { class: 'scroll' }, h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.length ? rows.map((r) => h('tr', {}, r.map((cell) => h('td', {}, cell))))
      : h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'None.')))));
}
