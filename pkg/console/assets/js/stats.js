// The stats page: per operation, the calls, the error rate and the p50,
// p95 and p99 durations over a chosen range, each with a small bar chart
// in its row. The numbers are the table's text; the bars only draw them.

import { h, clear, title, errorBox, fmtMS, uid, plural } from './lib.js';

const RANGES = [['1h', 'last hour'], ['6h', 'last 6 hours'], ['24h', 'last 24 hours'], ['7d', 'last 7 days'], ['30d', 'last 30 days']];

export async function statsPage(ctx) {
  const id = uid('range');
  let range = ctx.query.get('range') || '24h';
  if (!RANGES.some(([r]) => r === range)) range = '24h';
  const select = h('select', { id, name: 'range' }, RANGES.map(([r, label]) => h('option', { value: r, selected: r === range }, label)));
  const out = h('div', { id: 'stats' });
  clear(ctx.main, title('Stats'),
    h('form', { class: 'filters', onsubmit: (e) => e.preventDefault() }, h('div', { class: 'field inline' }, h('label', { for: id }, 'Range'), select)),
    out);
  const load = async () => {
    try {
      const { operations } = await ctx.get('/api/v1/stats/operations?range=' + encodeURIComponent(range));
      clear(out, view(operations, select.selectedOptions[0].textContent));
    } catch (err) {
      if (err.status !== 401 && ctx.current()) clear(out, errorBox(err));
    }
  };
  select.addEventListener('change', () => {
    range = select.value;
    history.replaceState(null, '', '/stats?range=' + range);
    load();
  });
  await load();
}

// bar is a horizontal bar filled to a fraction; its width is set through
// the CSSOM, which the page's style-src allows (a style attribute would
// not be).
function bar(frac, cls, label) {
  const fill = h('span', { class: 'bar-fill ' + (cls || '') });
  fill.style.width = (Math.max(0, Math.min(1, frac)) * 100).toFixed(1) + '%';
  return h('span', { class: 'bar', role: 'img', 'aria-label': label }, fill);
}

// latency draws p50, p95 and p99 as nested bars on a log scale shared by
// every row, so a fast and a slow operation can be told apart at a glance.
function latency(row, max) {
  const scale = (v) => (max > 0 ? Math.log10(1 + v) / Math.log10(1 + max) : 0);
  const track = h('span', { class: 'bar latency', role: 'img',
    'aria-label': 'p50 ' + ms(row.p50_ms) + ', p95 ' + ms(row.p95_ms) + ', p99 ' + ms(row.p99_ms) });
  for (const [k, cls] of [['p99_ms', 'p99'], ['p95_ms', 'p95'], ['p50_ms', 'p50']]) {
    const f = h('span', { class: 'bar-fill ' + cls });
    f.style.width = (scale(row[k]) * 100).toFixed(1) + '%';
    track.append(f);
  }
  return track;
}

function view(ops, rangeLabel) {
  if (!ops.length) return h('p', { class: 'empty' }, 'No operation ran in the ' + rangeLabel + '.');
  const rows = [...ops].sort((a, b) => b.count - a.count);
  const maxCount = Math.max(...rows.map((r) => r.count));
  const maxP99 = Math.max(...rows.map((r) => r.p99_ms));
  const calls = rows.reduce((n, r) => n + r.count, 0);
  const errors = rows.reduce((n, r) => n + r.errors, 0);
  return [
    h('p', { class: 'lead' }, plural(calls, 'call') + ' of ' + plural(rows.length, 'operation') + ' in the ' + rangeLabel + ', ' + errors + ' failed (' + pct(calls ? errors / calls : 0) + ').'),
    h('div', { class: 'legend', 'aria-hidden': 'true' },
      h('span', null, h('span', { class: 'swatch p50' }), ' p50'), h('span', null, h('span', { class: 'swatch p95' }), ' p95'),
      h('span', null, h('span', { class: 'swatch p99' }), ' p99'), h('span', { class: 'muted' }, ' durations on a log scale')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'stack stats' },
      h('caption', { class: 'sr-only' }, 'Calls, error rate and durations per operation, ' + rangeLabel),
      h('thead', null, h('tr', null, ['Operation', 'Calls', 'Error rate', 'p50', 'p95', 'p99', 'Durations'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows.map((r) => h('tr', { 'data-op': r.op },
        h('td', { 'data-label': 'Operation' }, h('code', null, r.op)),
        h('td', { 'data-label': 'Calls', class: 'num' }, h('span', { class: 'val' }, String(r.count)), bar(r.count / maxCount, '', r.count + ' calls')),
        h('td', { 'data-label': 'Error rate', class: 'num' }, h('span', { class: 'val' }, pct(r.error_rate), r.errors ? ' (' + r.errors + ')' : ''),
          bar(r.error_rate, r.error_rate > 0 ? 'bad' : '', pct(r.error_rate) + ' failed')),
        h('td', { 'data-label': 'p50', class: 'num desk-only' }, ms(r.p50_ms)),
        h('td', { 'data-label': 'p95', class: 'num desk-only' }, ms(r.p95_ms)),
        h('td', { 'data-label': 'p99', class: 'num desk-only' }, ms(r.p99_ms)),
        h('td', { 'data-label': 'Durations' },
          h('span', { class: 'phone-only small' }, 'p50 ' + ms(r.p50_ms) + ' · p95 ' + ms(r.p95_ms) + ' · p99 ' + ms(r.p99_ms)),
          latency(r, maxP99)))))))];
}

// ms shows a duration; the history keeps whole milliseconds, so 0 is
// under one.
function ms(v) { return v === 0 ? '<1 ms' : fmtMS(v); }

// pct shows a rate, never rounded to none or to all: a rate short of
// them shows as "<0.01%" or ">99.9%", not the "0.00%" or "100%" of none
// or every call failed.
function pct(f) {
  if (!f) return '0%';
  const p = f * 100;
  const s = (p < 1 ? p.toFixed(2) : p < 10 ? p.toFixed(1) : p < 99 ? String(Math.round(p)) : p.toFixed(1)) + '%';
  if (s === '0.00%') return '<0.01%';
  if (f < 1 && s === '100.0%') return '>99.9%';
  return s === '100.0%' ? '100%' : s;
}
