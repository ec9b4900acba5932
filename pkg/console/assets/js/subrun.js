// The runs of sub-playbooks a playbook.run step started, in its card: each
// sub-run's status, error and outputs not computed, and its steps (id,
// operation, status, duration, error, a fan-out's items), with their own
// sub-runs nested below them. A sub-run that did not succeed is open, so
// that a step that failed levels down is in sight without a click; one
// that succeeded is closed. A sub-run's id links to its card.

import { h, badge, fmtMS } from './lib.js';
import { stepRan, notStarted, notificationOf, notificationText } from './step.js';

// subRunAnchor is the id of a sub-run's card in its parent's page.
export function subRunAnchor(runID) { return 'sub-run-' + runID; }

// revealSubRun opens the card of the sub-run the address names after its
// "#" (and the cards it is nested in), scrolls it into sight and moves the
// focus to it. It says whether there was one.
export function revealSubRun(hash) {
  const id = decodeURIComponent((hash || '').replace(/^#/, ''));
  const el = id.startsWith('sub-run-') ? document.getElementById(id) : null;
  if (!el) return false;
  for (let d = el; d; d = d.parentElement && d.parentElement.closest('details')) d.open = true;
  el.focus();
  el.scrollIntoView({ block: 'start' });
  return true;
}

// revealIn shows what the address names after its "#" on a run page
// whose cards are views, by step id, of the report's steps: a sub-run's
// card (revealSubRun), drawn in the card of the step it runs under,
// opened, or a step's card (#step-ID), opened, in sight and focused.
export function revealIn(views, steps, hash) {
  const id = decodeURIComponent((hash || '').replace(/^#/, ''));
  if (id.startsWith('sub-run-')) {
    const st = (steps || []).find((s) => runsUnder(s, id.slice('sub-run-'.length)));
    if (st && views.has(st.id)) views.get(st.id).open();
    revealSubRun(hash);
    return;
  }
  const v = id.startsWith('step-') && views.get(id.slice('step-'.length));
  if (!v) return;
  v.open();
  const summary = v.el.querySelector('summary');
  summary.focus();
  summary.scrollIntoView({ block: 'start' });
}

// runsUnder says whether the sub-run runID runs under step st, however
// deep.
function runsUnder(st, runID) {
  for (const sub of [st.sub, ...(st.subs || [])]) {
    if (sub && (sub.run_id === runID || (sub.steps || []).some((s) => runsUnder(s, runID)))) return true;
  }
  return false;
}

// subRuns is the list of the sub-runs of step st: its sub, else one per
// fan-out item under subs, named by the item's label or index. Null when
// it has none.
export function subRuns(st) {
  const list = [];
  if (st.sub) list.push(subRun(st.sub, null));
  (st.subs || []).forEach((sub, i) => { if (sub) list.push(subRun(sub, itemName(st, i))); });
  if (!list.length) return null;
  return h('div', { class: 'sub-runs' }, list);
}

function itemName(st, i) {
  const it = (st.items || []).find((x) => x.index === i);
  return it && it.label ? 'item ' + i + ' (' + it.label + ')' : 'item ' + i;
}

function subRun(sub, item) {
  const ok = sub.status === 'succeeded';
  const outErrs = Object.keys(sub.output_errors || {}).sort();
  // The run id links to this sub-run in its parent's page: a link to
  // copy into a chat, which opens the page with the sub-run open and in
  // sight (revealSubRun).
  return h('details', { class: 'sub-run', id: subRunAnchor(sub.run_id), tabindex: '-1', 'data-run': sub.run_id, open: !ok },
    h('summary', null, badge(sub.status), ' ', item ? item + ': ' : null, 'sub-run of ',
      h('code', { class: 'break' }, (sub.playbook && sub.playbook.name) || '?'), ' ',
      h('span', { class: 'muted small' }, h('a', { href: '#' + subRunAnchor(sub.run_id), 'aria-label': 'Link to sub-run ' + sub.run_id },
        h('code', { class: 'break' }, sub.run_id)))),
    // The run's error repeats its failed step's, shown with the step.
    sub.error && !(sub.steps || []).some((st) => st.error) ? h('p', { class: 'error-text sub-error' }, sub.error.class ? sub.error.class + ': ' : null, sub.error.message) : null,
    outErrs.length ? h('dl', { class: 'facts sub-outputs' }, outErrs.map((k) => [
      h('dt', null, 'output ', h('code', null, k)),
      h('dd', { class: 'error-text' }, 'not computed, the caller read null: ', sub.output_errors[k])])) : null,
    (sub.steps || []).length ? h('ol', { class: 'sub-steps', 'aria-label': 'Steps of sub-run ' + sub.run_id },
      sub.steps.map(subStep)) : h('p', { class: 'muted small' }, 'no steps recorded'));
}

function subStep(st) {
  return h('li', { class: 'sub-step', 'data-step': st.id, 'data-status': st.status },
    h('div', { class: 'sub-step-head' }, badge(st.status), ' ', h('code', { class: 'break' }, st.id),
      h('span', { class: 'muted small' }, st.op ? [' ', h('code', null, st.op)] : null,
        st.section && st.section !== 'steps' ? ' · ' + st.section : null,
        st.status === 'failed' && st.rescued ? ' · rescued' : st.status === 'failed' && st.ignored ? ' · ignored (continue_on_error)' : null,
        // What a notify: entry's message reached, as on its run's card.
        notificationText(notificationOf(st)) ? ' · ' + notificationText(notificationOf(st)) : null,
        st.duration_ms !== undefined && stepRan(st, false) ? ' · ' + fmtMS(st.duration_ms) : null)),
    st.error ? h('p', { class: 'error-text sub-error' }, st.error.class ? st.error.class + ': ' : null, st.error.message) : null,
    st.reason && !st.error ? h('p', { class: 'muted small' }, st.reason) : null,
    st.sub || st.subs ? null : subItems(st),
    subRuns(st));
}

// subItems lists a fan-out step's items, each by its label (else its
// index) with its status and error, as the report recorded them (past its
// first items, those that did not succeed); the counts say how many there
// were in all. A playbook.run fan-out names its items in its sub-runs.
function subItems(st) {
  const items = st.items || [];
  const counts = Object.entries(st.item_counts || {}).filter(([, n]) => n);
  if (!items.length && !counts.length) return null;
  const total = counts.reduce((n, [, v]) => n + v, 0);
  return [
    counts.length ? h('p', { class: 'muted small sub-counts' }, total + (total === 1 ? ' item: ' : ' items: '),
      counts.map(([k, v], i) => [i ? ', ' : '', v + ' ' + k])) : null,
    items.length ? h('ul', { class: 'plain sub-items', 'aria-label': 'Items of step ' + st.id },
      items.map((it) => h('li', { class: 'sub-item', 'data-status': it.status },
        badge(it.status), ' ', h('code', { class: 'break' }, it.label || '#' + it.index),
        notStarted(it) ? h('span', { class: 'muted small' }, ' ', it.reason)
          : it.error ? h('span', { class: 'error-text sub-error' }, ' ', it.error.class ? it.error.class + ': ' : null, it.error.message) : null))) : null,
  ];
}
