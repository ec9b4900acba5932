// A step's or item's attempt log on the run page: each try, how it ended
// and why it did not count (its error and exit code, or the retry.until
// it left false), when it began and how long it took, with a line in the
// place of the tries the report left out. Read from the report: a report
// written before tries recorded their status gives it by the error's
// class.

import { h, badge, fmtMS, plural } from './lib.js';
import { timeEl } from './time.js';

// MAX_MESSAGE is how much of a try's error a row shows before "show
// all": the report keeps 1 KiB of each.
const MAX_MESSAGE = 300;

// attemptStatus is how a try ended.
export function attemptStatus(a) {
  if (a.status) return a.status;
  if (!a.error) return 'succeeded';
  if (a.error.class === 'authorization') return 'denied';
  if (a.error.class === 'cancelled' || a.error.class === 'declined') return 'cancelled';
  return 'failed';
}

// attemptsView is the table of an attempt log x (a step or an item): its
// attempt_log, attempts_omitted and attempts_omitted_failed. whose names
// the step (or item) for a screen reader's table caption.
export function attemptsView(x, whose) {
  const log = x.attempt_log || [];
  const rows = [];
  log.forEach((a, i) => {
    const prev = log[i - 1];
    if (prev && a.attempt > prev.attempt + 1) {
      const n = a.attempt - prev.attempt - 1;
      const failed = x.attempts_omitted_failed || 0;
      rows.push(h('tr', { class: 'omitted' }, h('td', { colspan: 4, class: 'muted' },
        '… ' + plural(n, 'attempt') + ' left out of the report' + (failed ? ' (' + failed + ' failed)' : ''))));
    }
    rows.push(h('tr', { 'data-attempt': a.attempt },
      h('td', { 'data-label': 'Attempt', class: 'num', tabindex: -1 }, String(a.attempt)),
      h('td', { 'data-label': 'Result' }, badge(attemptStatus(a)), ' ', result(a)),
      h('td', { 'data-label': 'Took' }, fmtMS(a.duration_ms)),
      h('td', { 'data-label': 'Started' }, a.started_at ? timeEl(a.started_at) : '—')));
  });
  // Of a long log, the first tries and the last show first: how the
  // trouble began and how it ended; those between open on a button.
  let bodies = [h('tbody', null, rows)];
  if (rows.length > FOLD_OVER) {
    const middle = h('tbody', { hidden: true }, rows.slice(FOLD_KEEP, rows.length - FOLD_KEEP));
    const n = log.filter((a) => middle.contains(rowOf(a))).length;
    const fold = h('tbody', null, h('tr', { class: 'fold' }, h('td', { colspan: 4 }, h('button', { type: 'button', 'data-action': 'more-attempts', onclick: () => {
      middle.hidden = false;
      fold.remove();
      const first = middle.querySelector('tr');
      if (first) first.firstChild.focus({ preventScroll: true });
    } }, 'Show ' + plural(n, 'more attempt') + (x.attempts_omitted ? ' (the report left out ' + x.attempts_omitted + ' others)' : '')))));
    bodies = [h('tbody', null, rows.slice(0, FOLD_KEEP)), fold, middle, h('tbody', null, rows.slice(rows.length - FOLD_KEEP))];
  }
  function rowOf(a) { return rows.find((r) => r.dataset.attempt === String(a.attempt)); }
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stack attempts' },
    h('caption', { class: 'sr-only' }, 'Attempts of ' + whose),
    h('thead', null, h('tr', null, ['Attempt', 'Result', 'Took', 'Started'].map((c) => h('th', { scope: 'col' }, c)))),
    bodies));
}

// A log of more than FOLD_OVER rows shows its first and last FOLD_KEEP
// until asked for the rest.
const FOLD_OVER = 12;
const FOLD_KEEP = 5;

// result is why a try did not count, or that it did: its exit code and
// error (the first lines, the rest behind "show all"), or, for one that
// succeeded but was tried again, the condition it left false.
function result(a) {
  const msg = a.error ? String(a.error.message || '') : '';
  // A shell try's error says its code already ("exit code 7 is not in
  // ok_codes [0]"): the row says it once.
  const hasCode = a.exit_code !== undefined && a.exit_code !== null && !msg.includes('exit code ' + a.exit_code + ' ');
  const code = hasCode ? h('span', { class: 'exit-code' }, 'exit ' + a.exit_code) : null;
  if (!a.error) return [code, code && a.reason ? ' · ' : null, a.reason ? h('span', null, 'but ' + a.reason) : null];
  const head = [code, code ? ' · ' : null, h('strong', null, a.error.class || 'error'), ': '];
  if (msg.length <= MAX_MESSAGE && msg.split('\n').length <= 4) return [head, h('span', { class: 'error-text' }, msg)];
  return [head, h('details', { class: 'attempt-error' },
    h('summary', null, h('span', { class: 'error-text' }, firstLine(msg)), h('span', { class: 'muted' }, ' (show all)')),
    h('pre', { class: 'error-text' }, msg))];
}

function firstLine(s) {
  const l = s.split('\n')[0];
  return l.length > 160 ? l.slice(0, 159) + '…' : l;
}

// triesCell is the Tries cell of an item tried more than once: the
// count, and, when the report has its attempt log, a button-like summary
// that opens it. The log itself is not in the cell, where its table
// would make the cell, and the item's row, as wide as itself: it is the
// row under the item's (triesRow), shown while the summary is open.
// open says whether it is; toggled(open) is told when it changes.
export function triesCell(it, open, toggled) {
  if (!(it.attempt_log && it.attempt_log.length > 1)) return it.attempts ? String(it.attempts) : '—';
  const failed = it.attempt_log.filter((a) => attemptStatus(a) !== 'succeeded').length + (it.attempts_omitted_failed || 0);
  return h('details', { class: 'item-attempts', open: !!open, ontoggle: (e) => toggled(e.currentTarget.open) },
    h('summary', null, String(it.attempts), failed ? h('span', { class: 'muted' }, ' (' + failed + ' failed)') : null));
}

// triesRow is the row under an item's that holds its attempt log, across
// the whole table, hidden unless open; null for an item without one.
export function triesRow(it, label, columns, open) {
  if (!(it.attempt_log && it.attempt_log.length > 1)) return null;
  return h('tr', { class: 'item-tries', 'data-tries-of': it.index, hidden: !open },
    h('td', { colspan: columns }, attemptsView(it, label)));
}
