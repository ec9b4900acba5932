// The operations page: the catalogue with each operation's params and
// output, and, for the operations the caller's roles may execute, a form
// to execute one (authorized, audited and recorded by the server like a
// one-step playbook).

import { h, clear, api, title, errorBox, text, uid, fmtMS } from './lib.js';
import { field } from './form.js';

export async function operationsPage(ctx) {
  const { operations } = await ctx.get('/api/v1/operations');
  if (!ctx.current()) return;
  const searchID = uid('search');
  const search = h('input', { id: searchID, type: 'search', placeholder: 'name or words', autocomplete: 'off' });
  const catID = uid('cat');
  const categories = [...new Set(operations.map((o) => o.category))].sort();
  const cat = h('select', { id: catID }, h('option', { value: '' }, 'all'), categories.map((c) => h('option', { value: c }, c)));
  const mayRun = operations.filter((o) => o.decision && o.decision.allowed).length;
  const list = h('div', { id: 'ops' });
  clear(ctx.main, title('Operations'),
    h('p', { class: 'lead' }, operations.length + ' operations; your roles may execute ' + mayRun + ' of them.'),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Find operations', onsubmit: (e) => e.preventDefault() },
      h('div', { class: 'field inline' }, h('label', { for: searchID }, 'Find'), search),
      h('div', { class: 'field inline' }, h('label', { for: catID }, 'Category'), cat)),
    list);
  const show = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = operations.filter((o) => (!cat.value || o.category === cat.value) &&
      words.every((w) => (o.name + ' ' + o.description).toLowerCase().includes(w)));
    const groups = {};
    for (const o of shown) (groups[o.category] = groups[o.category] || []).push(o);
    clear(list, shown.length ? Object.keys(groups).sort().map((c) => h('section', { class: 'op-group' },
      h('h2', null, c), groups[c].map(opCard))) : h('p', { class: 'empty' }, 'No operation matches.'));
  };
  search.addEventListener('input', show);
  cat.addEventListener('change', show);
  show();
}

function opCard(o) {
  const params = o.params && o.params.properties ? o.params.properties : {};
  const required = new Set((o.params && o.params.required) || []);
  const outs = o.output && o.output.properties ? o.output.properties : {};
  const body = h('div', { class: 'op-body' });
  const first = o.description.split(/(?<=\.)\s/)[0];
  const details = h('details', { class: 'card op', 'data-op': o.name },
    h('summary', null, h('code', null, o.name), ' ', h('span', { class: 'risk r-' + o.risk }, o.risk), ' ', h('span', { class: 'muted' }, first)),
    body);
  let filled = false;
  details.addEventListener('toggle', () => {
    if (!details.open || filled) return;
    filled = true;
    clear(body,
      first !== o.description ? h('p', null, o.description) : null,
      h('h3', null, 'Params'), schemaTable('Params of ' + o.name, params, required),
      h('h3', null, 'Output'), schemaTable('Output of ' + o.name, outs, new Set()),
      o.decision && o.decision.allowed ? executeForm(o, params, required)
        : h('p', { class: 'muted' }, 'Your roles may not execute it', o.decision ? [': ', h('code', null, o.decision.rule)] : '', '.'));
  });
  return details;
}

function typeOf(p) {
  if (p.enum) return 'one of ' + p.enum.map((v) => JSON.stringify(v)).join(', ');
  if (Array.isArray(p.type)) return p.type.join(' or ');
  return p.type || 'any';
}

function schemaTable(caption, props, required) {
  const names = Object.keys(props).sort();
  if (!names.length) return h('p', { class: 'muted' }, 'none');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stack schema' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', null, h('tr', null, ['Name', 'Type', 'Description'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, names.map((n) => {
      const p = props[n];
      return h('tr', null,
        h('td', { 'data-label': 'Name' }, h('code', null, n), required.has(n) ? ' (required)' : ''),
        h('td', { 'data-label': 'Type' }, typeOf(p), p.default !== undefined ? ', default ' + text(p.default) : ''),
        h('td', { 'data-label': 'Description' }, p.description || ''));
    }))));
}

function executeForm(o, params, required) {
  const fields = Object.keys(params).sort().map((n) => {
    const p = params[n];
    const type = Array.isArray(p.type) ? p.type.find((t) => t !== 'null') : p.type;
    return field({ name: n, type, enum: p.enum, default: p.default, required: required.has(n), secret: !!p.writeOnly,
      description: p.description, min: p.minimum, max: p.maximum });
  });
  const timeout = field({ name: 'timeout', type: 'duration', hint: 'default 60s' });
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Execute');
  const form = h('form', { class: 'execute', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const body = { params: {} };
    let ok = true;
    for (const f of fields) {
      f.showError('');
      try {
        const v = f.read();
        if (v !== undefined && !(v === false && !required.has(f.name) && params[f.name].default === undefined)) body.params[f.name] = v;
      } catch (err) {
        f.showError(err.message);
        ok = false;
      }
    }
    const t = timeout.read();
    if (t) body.timeout = t;
    if (!ok) return;
    button.disabled = true;
    clear(result, h('p', { class: 'muted' }, 'Executing…'));
    try {
      const res = await api('POST', '/api/v1/operations/' + encodeURIComponent(o.name) + '/execute', body);
      clear(result, h('p', null, 'Succeeded in ' + fmtMS(res.duration_ms) + ', run ', h('a', { href: '/runs/' + encodeURIComponent(res.run_id) }, res.run_id)),
        h('pre', { class: 'out-text' }, text(res.result)));
    } catch (err) {
      if (err.status === 401) return;
      const f = err.field && fields.find((x) => 'params.' + x.name === err.field);
      if (f) f.showError(err.message);
      clear(result, errorBox(err));
    } finally {
      button.disabled = false;
    }
  } }, h('h3', null, 'Execute'), fields.map((f) => f.el), timeout.el, h('div', { class: 'actions' }, button), result);
  return form;
}
