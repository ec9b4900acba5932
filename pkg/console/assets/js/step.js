// A step of the run page: its card, with its header, notes, live output,
// error, attempts, output and fan-out items.

import { h, clear, add, badge, fmtMS, text, plural } from './lib.js';
import { timeEl } from './time.js';
import { subRuns } from './subrun.js';
import { waitMethods } from './retrywait.js';
import { attemptsView, triesCell, triesRow } from './attempts.js';

const MAX_LOG_LINES = 500;
const MAX_ITEM_ROWS = 200;

// StepView is one step's card: its header, and what it did. A lazy
// card (one of a run of many steps) draws its body and items while it is
// open, and when the page finds time for it (onStale).
export class StepView {
  constructor(id, section, lazy) {
    this.id = id;
    this.lazy = !!lazy;
    this.items = new Map();
    this.triesOpen = new Set(); // items whose attempt log is open
    this.logLines = [];
    this.head = h('span', { class: 'step-head' });
    this.body = h('div', { class: 'step-body' });
    this.notes = h('ul', { class: 'notes' });
    // A log named for its step, quiet: its lines are not read out as they come.
    this.logEl = h('pre', { class: 'log', hidden: true, role: 'log', 'aria-live': 'off', 'aria-label': 'Output of step ' + id });
    this.itemsEl = h('div', { class: 'items' });
    this.details = h('details', null, h('summary', { onclick: () => {
      this.userToggled = true;
      // About to open: what it has to show is there as it opens.
      if (!this.details.open) this.drawStale(true);
    } }, this.head), this.notes, this.logEl, this.body, this.itemsEl);
    // Opened another way (a link to a sub-run in it, a script): drawn then.
    this.details.addEventListener('toggle', () => { if (this.details.open) this.drawStale(); });
    this.el = h('li', { class: 'step', id: 'step-' + id, 'data-step': id }, this.details);
    this.data = { id, section: section || 'steps', status: 'pending' };
    // live is whether the items are told by live events (and a running
    // run's snapshot), which carry a preview of an item's value at most,
    // rather than by the final report, which has the whole value.
    this.live = true;
    this.renderHead();
  }

  renderHead() {
    const d = this.data;
    const label = d.name && d.name !== d.id ? [d.name, ' ', h('span', { class: 'muted' }, '(' + d.id + ')')] : d.id;
    clear(this.head, badge(d.status), ' ', h('span', { class: 'step-label' }, label),
      h('span', { class: 'step-meta muted' },
        d.op ? h('code', null, d.op) : null,
        d.section && d.section !== 'steps' ? ' · ' + d.section : null,
        d.attempts > 1 ? ' · ' + this.attemptsNote() : null,
        d.rescued && d.status === 'failed' ? ' · rescued' : d.ignored && d.status === 'failed' ? ' · ignored (continue_on_error)' : null,
        notificationText(notificationOf(d)) ? ' · ' + notificationText(notificationOf(d)) : null,
        d.batchNow && d.status === 'running' ? ' · ' + d.batchNow : null,
        // A step running, or waiting for an answer, has not ended: its
        // 0 ms so far is no time.
        d.duration_ms !== undefined && !['running', 'waiting'].includes(d.status) && stepRan(d, this.live) ? ' · ' + fmtMS(d.duration_ms) : null));
    this.el.dataset.status = d.status;
    if (d.status !== 'running') this.endWait(); // it waits to try again no more
  }

  // attemptsNote is the header's count of tries: a fan-out's is its
  // items' (the step's attempts are the most any item took), "2 items
  // retried, up to 3 attempts", not the step's own "3 attempts".
  attemptsNote() {
    const d = this.data;
    if (!this.items.size && !d.itemCount) return d.attempts + ' attempts';
    const retried = [...this.items.values()].filter((it) => it.attempts > 1).length;
    return (retried ? plural(retried, 'item') + ' retried, ' : '') + 'up to ' + d.attempts + ' attempts an item';
  }

  started(ev) {
    Object.assign(this.data, { status: 'running', op: ev.op, name: ev.name || this.data.name, section: ev.section });
    if (ev.items) this.data.itemCount = ev.items;
    this.open();
    this.renderHead();
  }

  // open opens the card, drawing what it has to show.
  open() {
    this.details.open = true;
    this.drawStale();
  }

  // drawStale draws the body and items left undrawn while the card was
  // closed; opening says it is about to open.
  drawStale(opening) {
    if (!opening && !this.details.open) return;
    if (this.bodyStale) this.renderBody(true);
    if (this.itemsStale) this.renderItems(true);
  }

  // stale tells the page that the card has something left to draw (see
  // lazy.js).
  stale() { if (this.onStale) this.onStale(this); }

  // drawn says whether the card draws its body now, rather than when it
  // is opened; force is for a card about to open.
  drawn(force) { return force || !this.lazy || this.details.open; }

  finished(ev) {
    // An event leaves out a duration of 0 ms: the step took no time, it
    // did not lose the time the run's snapshot gave it.
    Object.assign(this.data, { status: ev.status, op: ev.op || this.data.op, duration_ms: ev.duration_ms || 0, attempts: ev.attempts || this.data.attempts });
    if (ev.reason) this.data.reason = ev.reason;
    if (ev.ignored) this.data.ignored = true;
    if (ev.notification) this.data.notification = ev.notification;
    if (ev.error) this.data.error = { class: ev.error_class, message: ev.error };
    this.renderHead();
    this.renderBody();
  }

  // update shows the step as a report records it: a running run's
  // snapshot (live) or the final report. A snapshot has the finished items
  // only, told from events, with the label or a preview of the value the
  // events carry; what the events said of an item (its label, its value,
  // its last line of output) is kept where the snapshot has nothing.
  update(st, live) {
    Object.assign(this.data, st);
    this.live = live;
    if (['failed', 'denied', 'running'].includes(st.status)) this.details.open = true;
    for (const it of st.items || []) {
      const was = this.items.get(it.index) || {};
      this.items.set(it.index, { ...was, ...it, label: it.label || was.label, item: hasValue(it) ? it.item : was.item });
    }
    this.renderHead();
    this.renderBody();
    this.renderItems();
  }

  note(msg) { add(this.notes, h('li', null, msg)); }

  waiting() {
    this.data.status = 'waiting';
    this.data.op = this.data.op || '';
    this.open();
    this.note('waiting for an answer to its confirm: question');
    this.renderHead();
  }

  settle() {
    if (!this.userToggled) this.details.open = ['failed', 'denied'].includes(this.data.status);
  }

  // log adds a line of live output. The box follows the output as tail -f
  // does, its newest line in sight, unless the reader scrolled up in it:
  // then it stays where they read until they scroll back to its end. The
  // box is drawn once a frame, not once a line: a replay of thousands of
  // lines would otherwise lay the page out for each.
  log(line, index) {
    this.logLines.push(index !== undefined && index !== null ? '[' + index + '] ' + line : line);
    if (this.logLines.length > MAX_LOG_LINES) {
      const over = this.logLines.length - MAX_LOG_LINES;
      this.logLines.splice(0, over);
      this.logDropped = (this.logDropped || 0) + over;
    }
    if (this.logEl.hidden) {
      this.logEl.hidden = false;
      this.logFollows = true;
    }
    this.open();
    if (!this.logFrame) this.logFrame = requestAnimationFrame(() => this.drawLog());
  }

  drawLog() {
    this.logFrame = 0;
    const el = this.logEl;
    const atEnd = this.logFollows || el.scrollHeight - el.scrollTop - el.clientHeight < 8;
    this.logFollows = false;
    // The box keeps the newest lines: it says so above them, rather than
    // show its oldest kept line as the first the step printed.
    const note = this.logDropped ? '… ' + this.logDropped + (this.logDropped === 1 ? ' earlier line' : ' earlier lines') +
      ' not kept here; the step\'s output is in the report at the run\'s end\n' : '';
    el.textContent = note + this.logLines.join('\n');
    if (atEnd) el.scrollTop = el.scrollHeight;
  }

  item(ev) {
    const it = this.items.get(ev.index) || { index: ev.index };
    it.label = ev.label || it.label;
    if (hasValue(ev) && this.live !== false) it.item = ev.item; // the report's whole value stays
    it.status = ev.kind === 'item_started' ? 'running' : ev.status;
    if (ev.kind === 'item_started') it.started = true;
    if (ev.kind === 'item_finished') it.duration_ms = ev.duration_ms || 0;
    if (ev.attempts) it.attempts = ev.attempts;
    if (ev.error) it.error = { class: ev.error_class, message: ev.error };
    if (ev.cached) { it.cached = true; it.cache_age_ms = ev.cache_age_ms; }
    if (ev.authorization) it.authorization = ev.authorization; // a denial: its row says when it was
    this.items.set(ev.index, it);
    this.renderItemsSoon();
  }

  // batch follows a serial: fan-out's rolling batches: the header names
  // the batch under way by its first and last items ("batch 2 of 4:
  // web-4..web-6"), and a batch after which no batch starts leaves a note
  // saying why.
  batch(ev) {
    const b = ev.batch;
    if (!b) return;
    const name = (i, label) => label || '#' + i;
    const span = name(b.first, b.first_label) + (b.last !== b.first ? '..' + name(b.last, b.last_label) : '');
    const title = 'batch ' + b.number + ' of ' + b.of + ': ' + span;
    if (ev.kind === 'batch_started') {
      this.data.batchNow = title;
      this.renderHead();
      return;
    }
    if (!ev.error) return;
    const so = b.so_far || {};
    const done = ['succeeded', 'failed', 'denied', 'cancelled', 'skipped'].reduce((n, k) => n + (so[k] || 0), 0);
    this.note(title + ' finished, ' + done + ' of ' + (ev.items || this.data.itemCount || done) + ' items done; rollout stopped: ' + ev.error);
  }

  // itemOutput keeps an item's latest line of output for its row, the
  // output itself coming with the report.
  itemOutput(index, line) {
    const it = this.items.get(index) || { index };
    it.line = line;
    this.items.set(index, it);
    this.renderItemsSoon();
  }

  renderItemsSoon() {
    if (this.itemsTimer) return;
    this.itemsTimer = setTimeout(() => { this.itemsTimer = 0; this.renderItems(); }, 250);
  }

  renderBody(force) {
    this.bodyStale = !this.drawn(force);
    if (this.bodyStale) return this.stale();
    const d = this.data;
    const parts = [];
    const facts = [];
    // A reason that only repeats the error, shown below, is left out.
    if (d.reason && !(d.error && d.reason.trim() === String(d.error.message || '').trim())) facts.push(h('dt', null, 'Reason'), h('dd', null, d.reason));
    if (d.started_at) facts.push(h('dt', null, 'Started'), h('dd', null, timeEl(d.started_at, true)));
    if (d.authorization) {
      const a = d.authorization;
      const via = a.via && a.via !== 'direct' ? ' via ' + a.via : null;
      // The rule allowed the operation, but its path, host or process
      // was refused when it ran: the decision says denied when run (a
      // report written before it did says allowed beside the error).
      facts.push(h('dt', null, 'Authorization'), a.denied_when_run
        ? h('dd', null, 'denied when it ran: ', h('code', null, a.rule), via, ' allowed the operation, but what it was given was refused (the error below)')
        : h('dd', null, a.allowed ? 'allowed' : 'denied', ' by ', h('code', null, a.rule), via,
          a.allowed && d.error && d.error.class === 'authorization' ? '; what it was given was refused when it ran (the error below)' : null));
    }
    if (d.confirmation) {
      const c = d.confirmation;
      facts.push(h('dt', null, c.answer === 'yes' ? 'Confirmed' : c.answer === 'no' ? 'Declined' : 'Answered'),
        h('dd', { class: 'confirmation' }, 'answered ', h('strong', null, c.answer), c.by ? ' by ' + c.by : null, ' at ', timeEl(c.at, true), ': ', c.question));
    }
    const sent = notificationNote(d);
    if (sent) facts.push(h('dt', null, 'Notification'), h('dd', null, sent));
    if (d.cached) facts.push(h('dt', null, 'Cache'), h('dd', null, 'output from the result cache, ' + fmtMS(d.cache_age_ms) + ' old'));
    if (d.reused) facts.push(h('dt', null, 'Reused'), h('dd', null, 'output taken from the resumed run'));
    if (d.rescued && d.status === 'failed') facts.push(h('dt', null, 'Rescued'), h('dd', null, 'it failed, and its rescue steps recovered the run'));
    else if (d.ignored && d.status === 'failed') facts.push(h('dt', null, 'Ignored'), h('dd', null, 'it failed, and continue_on_error let the run go on'));
    if (facts.length) parts.push(h('dl', { class: 'facts' }, facts));
    if (d.error) parts.push(h('div', { class: 'error' }, errorHead(d.error), h('pre', { class: 'error-text' }, d.error.message)));
    if (d.attempt_log && d.attempt_log.length > 1) {
      parts.push(h('h3', { class: 'out-head' }, 'attempts', h('span', { class: 'sr-only' }, ' of step ' + this.id)), attemptsView(d, 'step ' + this.id));
    }
    if (d.output !== undefined && d.output !== null) parts.push(outputView(d.output, this.id));
    parts.push(subRuns(d));
    clear(this.body, parts);
  }

  renderItems(force) {
    this.itemsStale = !this.drawn(force);
    if (this.itemsStale) return this.stale();
    const items = [...this.items.values()].sort((a, b) => a.index - b.index);
    if (!items.length) {
      clear(this.itemsEl);
      return;
    }
    const counts = {};
    for (const it of items) counts[it.status || 'pending'] = (counts[it.status || 'pending'] || 0) + 1;
    const total = this.data.itemCount || items.length;
    const shown = items.slice(0, MAX_ITEM_ROWS);
    const unnamed = this.live && shown.some((it) => !it.label && !hasValue(it));
    clear(this.itemsEl,
      h('p', { class: 'muted' }, total + ' items: ', Object.entries(counts).map(([k, v], i) => [i ? ', ' : '', v + ' ' + k])),
      unnamed ? h('p', { class: 'muted small items-note' },
        'Some items have no value to show yet; the report at the run\'s end has them all.') : null,
      h('div', { class: 'table-wrap' }, h('table', { class: 'stack items-table' },
        h('caption', { class: 'sr-only' }, 'Items of step ' + this.id),
        h('thead', null, h('tr', null, ['#', 'Item', 'Status', 'Time', 'Tries', 'Error or output'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, shown.map((it) => [h('tr', { 'data-item': it.index },
          h('td', { 'data-label': '#' }, String(it.index)),
          h('td', { 'data-label': 'Item' }, itemName(it)),
          h('td', { 'data-label': 'Status' }, badge(it.status)),
          h('td', { 'data-label': 'Time' }, started(it) ? fmtMS(it.duration_ms) : '—'),
          h('td', { 'data-label': 'Tries' }, it.cached
            ? h('span', { class: 'cached', title: 'output from the result cache, ' + fmtMS(it.cache_age_ms) + ' old; the operation did not run' }, 'cached')
            : triesCell(it, this.triesOpen.has(it.index), (open) => this.toggleTries(it.index, open))),
          h('td', { 'data-label': 'Error or output' }, it.error && !notStarted(it) ? h('span', { class: 'error-text' }, itemError(it))
            : it.reason ? it.reason : it.output !== undefined ? h('code', null, brief(it.output))
              : it.line ? h('code', { class: 'muted' }, clip(it.line, 120)) : '')),
        it.cached ? null : triesRow(it, 'item ' + (it.label || '#' + it.index) + ' of step ' + this.id, 6, this.triesOpen.has(it.index))])))),
      items.length > MAX_ITEM_ROWS ? h('p', { class: 'muted' }, 'The first ' + MAX_ITEM_ROWS + ' items are shown; the report has them all.') : null);
  }
}

// toggleTries shows or hides the row of an item's attempt log, and
// keeps it so when the items are drawn again.
StepView.prototype.toggleTries = function toggleTries(index, open) {
  if (open) this.triesOpen.add(index);
  else this.triesOpen.delete(index);
  const row = this.itemsEl.querySelector('tr[data-tries-of="' + index + '"]');
  if (row) row.hidden = !open;
};

// The countdown of a wait between two attempts (retried, waitNext…) is
// in retrywait.js.
Object.assign(StepView.prototype, waitMethods);

// notStarted says whether an item never started and has the reason
// ("not started: interrupted by SIGINT"), which its row shows rather than
// its error, as the run's summary and history show do: the error's words
// alone ("interrupted by SIGINT") are those of the item cut while it ran.
export function notStarted(it) {
  return !!it.reason && !it.started_at && !it.started && !it.attempts;
}

// notificationOf is what the notify: entry d did, as the report's
// notification says: { sent: 'all' | 'some' | 'none', summary, recipients,
// of }; null for another step or an entry skipped or not yet finished. A
// report written before steps recorded it is read, as the server reads
// it, from the step's status, reason and output.
export function notificationOf(d) {
  if (d.section !== 'notify' || ['skipped', 'pending', 'running', 'waiting'].includes(d.status)) return null;
  if (d.notification) return d.notification;
  if (d.status === 'succeeded') return { sent: 'all' };
  if (d.reason === SUMMARY_SENT) return { sent: 'all', summary: true };
  // notify.email's output counts the recipients it reached and lists
  // those refused.
  const out = d.output;
  if (out && typeof out === 'object' && Array.isArray(out.refused) && out.refused.length && out.recipients > 0) {
    return { sent: 'some', recipients: out.recipients, of: out.recipients + out.refused.length };
  }
  return { sent: 'none' };
}

// SUMMARY_SENT is the reason of a notify: entry sent with the run summary
// in place of what could not be computed.
const SUMMARY_SENT = 'sent with the run summary in place of what could not be computed';

// notificationText is, in the words of every other view of a run, what
// the notification n did: "not sent", "sent to 2 of 3 recipients", "sent
// with the run summary in place of its own text"; '' when it was sent as
// written.
export function notificationText(n) {
  if (!n) return '';
  let what;
  switch (n.sent) {
    case 'none': return 'not sent';
    case 'some': what = 'sent to ' + n.recipients + ' of ' + n.of + ' recipients'; break;
    default:
      if (!n.summary) return '';
      what = 'sent';
  }
  return n.summary ? what + ' with the run summary in place of its own text' : what;
}

// notificationNote is the card's Notification fact: what the entry's
// message reached, less what its error, shown below it, already says.
function notificationNote(d) {
  return notificationUnsaid(notificationOf(d), d.error ? String(d.error.message || '') : '');
}

// notificationUnsaid is, as the text report's row says it,
// notificationText(n) less what said (a step's error) already says of
// it: '' when it says it all, and the half it does not say of a summary
// sent to some recipients, whose error names the recipients ("sent to 1
// of 2 recipients; …") and the run summary that stood in.
export function notificationUnsaid(n, said) {
  const what = notificationText(n);
  if (!what || said.includes(what)) return '';
  if (n.sent !== 'some' || !n.summary) return what;
  const some = 'sent to ' + n.recipients + ' of ' + n.of + ' recipients';
  const saidSome = said.includes(some), saidSummary = said.includes('run summary');
  if (saidSome && saidSummary) return '';
  if (saidSome) return 'sent with the run summary in place of its own text';
  if (saidSummary) return some;
  return what;
}

// notifyNotes are the notes of the run's summary on its notify: entries
// that did not go out as written, in its words and order: those nobody
// got, those some recipients got ("mail (2 of 3)"), those sent with the
// run summary in place of their own text; none when all did. A run's
// status does not count them, so a run that succeeded says them here.
export function notifyNotes(steps) {
  const none = [], some = [], summary = [];
  for (const st of steps || []) {
    const n = notificationOf(st);
    if (!n) continue;
    if (n.sent === 'none') none.push(st.id);
    else if (n.sent === 'some') some.push(st.id + ' (' + n.recipients + ' of ' + n.of + ')');
    if (n.summary && n.sent !== 'none') summary.push(st.id);
  }
  return [
    none.length ? 'not sent: notify ' + none.join(', ') + " (the run's result does not depend on it)" : '',
    some.length ? 'sent to part of their recipients: notify ' + some.join(', ') : '',
    summary.length ? 'sent the run summary for want of their own text: notify ' + summary.join(', ') : '',
  ].filter(Boolean);
}

// stepRan says whether a step began, so that its header gives its time: as
// in the run's summary, one that never started (a handler of a section
// that did not run, a step cancelled before its turn) has no time, not the
// 0 ms its report records; one reused by --resume keeps its time. The
// report gives a start to every step that began (a when: that was false
// included); the live events give none, so a step they alone told of
// began unless it was skipped or cancelled.
export function stepRan(d, live) {
  if (d.started_at || d.reused || d.duration_ms > 0) return true;
  return !!live && !['skipped', 'cancelled', 'pending'].includes(d.status);
}

// started says whether an item started: one cancelled before its turn
// (fail_fast, the run's end), skipped or refused without a try has no
// time to show, not the 0 ms its report records.
function started(it) {
  return !!(it.started || it.started_at || it.attempts || it.cached) || !['cancelled', 'skipped', 'denied'].includes(it.status);
}

// errorHead is the heading of an error box: its class, unless the message
// already begins with that word ("declined at step …"), so that it is
// not said twice.
export function errorHead(err, sep) {
  const cls = err.class || 'error';
  const msg = (err.message || '').toLowerCase();
  if (msg.startsWith(cls.toLowerCase() + ' ') || msg.startsWith(cls.toLowerCase() + ':')) return null;
  return [h('strong', null, cls), sep || null];
}

// itemName is what names an item in its row: its label, else its value
// (while the run goes on, the preview its events carry: 200 bytes at most),
// else a dash (an item the report left out to keep within its output
// budget).
function itemName(it) {
  const name = it.label || (hasValue(it) ? clip(text(it.item), 120) : null);
  if (name === null) return h('span', { class: 'muted' }, '—');
  return h('code', { class: name.length > LONG_ITEM_NAME ? 'long' : null }, name);
}

// LONG_ITEM_NAME is the length past which an item's name may wrap in its
// row (a shorter one, such as web-1, stays whole on one line).
const LONG_ITEM_NAME = 32;

function hasValue(it) { return it.item !== undefined && it.item !== null; }

function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + '…' : s; }

// brief is an item's output in a line: a process's last line of output,
// else the output as compact JSON, cut.
function brief(out) {
  if (out && typeof out === 'object' && typeof out.stdout === 'string') {
    const lines = (out.stderr || out.stdout).trim().split('\n');
    return clip(lines[lines.length - 1] || '(no output)', 120);
  }
  return clip(typeof out === 'string' ? out : JSON.stringify(out), 120);
}

// outputView shows a step's output as text. A process's stdout and stderr
// get boxes of their own; everything is text, never markup. Their headings
// come under the page's "Steps" and name the step, for those who move from
// heading to heading.
function outputView(out, id) {
  const head = (what) => h('h3', { class: 'out-head' }, what, h('span', { class: 'sr-only' }, ' of step ' + id));
  if (out && typeof out === 'object' && ('stdout' in out || 'stderr' in out)) {
    const rest = { ...out };
    delete rest.stdout;
    delete rest.stderr;
    return h('div', { class: 'output' },
      out.stdout ? [head('stdout'), tailBox(out.stdout)] : null,
      out.stderr ? [head('stderr'), tailBox(out.stderr)] : null,
      head('output'), h('pre', { class: 'out-text' }, text(rest)));
  }
  return h('div', { class: 'output' }, head('output'), h('pre', { class: 'out-text' }, text(out)));
}

// OUT_TAIL_LINES is how many last lines a long stdout or stderr box
// shows until asked for all: as many as its height holds.
const OUT_TAIL_LINES = 20;

// tailBox is a process's stdout or stderr. A long one shows its last
// lines, where a build or a failed command says how it ended, and a
// button above them shows all, the box then scrolled to its end, where
// the reader was.
function tailBox(s) {
  const lines = s.replace(/\n$/, '').split('\n');
  if (lines.length <= OUT_TAIL_LINES) return h('pre', { class: 'out-text' }, s);
  const box = h('pre', { class: 'out-text' }, lines.slice(-OUT_TAIL_LINES).join('\n'));
  const more = h('button', { type: 'button', class: 'show-all', 'data-action': 'show-all-output', onclick: () => {
    box.textContent = s;
    more.remove();
    box.tabIndex = -1; // the button's focus goes to what it showed
    box.focus({ preventScroll: true });
    box.scrollTop = box.scrollHeight;
  } }, 'Show all ' + lines.length + ' lines (the last ' + OUT_TAIL_LINES + ' are below)');
  return [more, box];
}

// itemError is an item's error as its row shows it: one its role's scope
// refused when it ran (its own decision says so) begins "denied when it
// ran:", as the text summary's row does.
function itemError(it) {
  const m = String(it.error.message || '');
  return it.authorization && it.authorization.denied_when_run && it.error.class === 'authorization'
    ? 'denied when it ran: ' + m.replace(/^denied: /, '') : m;
}
