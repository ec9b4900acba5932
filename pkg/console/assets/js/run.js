// The run page: the run's report, its timeline (the HTML report's SVG,
// drawn by the server), its steps with attempts, outputs, errors and
// fan-out items, and, while it runs, its event stream: step output lines
// as they come, statuses, confirm: questions to answer, and Cancel.

import { h, clear, blobURL, badge, shownStatus, fmtMS, text, title, errorBox, toast, debounce,
  notNow, notNowPage, retryDelay, serverNow, sinceMS, isSlotRun, update, on } from './lib.js';
import { timeEl } from './time.js';
import { StepView, errorHead, notifyNotes } from './step.js';
import { revealIn } from './subrun.js';
import { questionMethods } from './questions.js';
import { actionMethods } from './actions.js';
import { LAZY_STEPS, lazyNote, lazyMethods } from './lazy.js';
import { queueMethods } from './queue.js';
import { isSlot, mayBeUnstarted, slotRow, slotPage } from './slot.js';

// WATCH_MS is how often the page reads a run that goes on without an
// event stream to tell its end.
const WATCH_MS = 2000;
// STARTER_READ is how many rows of the run's playbook, up to its start,
// the page reads to find who started the run.
const STARTER_READ = 100;
const KINDS = ['run_started', 'step_started', 'step_finished', 'item_started', 'item_finished', 'batch_started', 'batch_finished',
  'log', 'retry', 'repeat',
  'confirm_asked', 'confirm_answered', 'run_finished', 'dropped'];

export async function runPage(ctx, id) {
  const base = '/api/v1/runs/' + encodeURIComponent(id);
  let rep;
  try {
    rep = await ctx.get(base);
  } catch (err) {
    if (err.status === 401 || !ctx.current()) return;
    // Refused for now (rate limited, not available): the run may well be
    // there, and the page asks again.
    if (notNow(err)) {
      notNowPage(ctx, 'Run ' + id, err, () => runPage(ctx, id));
      return;
    }
    clear(ctx.main, title(err.status === 404 ? 'Run not found' : 'The run could not be read'), errorBox(err),
      h('p', null, h('a', { href: '/runs' }, 'All runs')));
    return;
  }
  // A scheduled slot that did not run has no steps: its page says what
  // the slot was.
  if (isSlot(rep)) {
    slotPage(ctx, id, rep);
    return;
  }
  // A slot that failed to start (the run service refused it, its playbook
  // could not be read) failed before there was a run: its page says so,
  // not that a run of no steps failed. Only its row in the runs list
  // tells it from a run that failed before its first step.
  if (mayBeUnstarted(rep)) {
    let read = null;
    try {
      read = await slotRow(ctx, id, rep);
    } catch (err) {
      if (err.status === 401) return;
    }
    if (!ctx.current()) return;
    if (read && isSlotRun(read.row)) {
      slotPage(ctx, id, rep, read);
      return;
    }
  }
  // A run that has ended asks nothing and can no longer be cancelled:
  // the server answers its questions with a conflict, not read.
  let questions = { questions: [], may_act: false };
  let questionsLater = null;
  if (rep.status === 'running' || rep.status === 'queued') {
    try {
      questions = await ctx.get(base + '/questions');
    } catch (err) {
      if (err.status === 401) return;
      if (notNow(err)) questionsLater = err;
    }
  }
  // Left while the run was read (a long report takes a while): the page
  // now shown is another's, and so would be its Cancel.
  if (!ctx.current()) return;
  const view = new RunView(ctx, id, base, rep, questions);
  view.render(rep);
  view.readStarter();
  // After the heading took the focus (title): a sub-run's link takes it on.
  setTimeout(() => { if (!view.left) view.reveal(location.hash); }, 0);
  ctx.onHash((hash) => { if (!view.left) view.reveal(hash); });
  if (view.live()) view.follow();
  // Questions already waiting are said once the page is in place.
  setTimeout(() => { if (!view.left) view.askedNow([...view.pending.values()]); }, 0);
  // The questions, and whether the caller may act (Cancel, answers),
  // refused for now are asked for again.
  if (questionsLater) view.readQuestionsLater(questionsLater);
}

class RunView {
  constructor(ctx, id, base, rep, questions) {
    this.ctx = ctx;
    this.id = id;
    this.base = base;
    this.mayAct = questions.may_act;
    // refused says why the caller may not act on the run, as the server
    // would refuse a cancel or an answer.
    this.refused = questions.refused || '';
    this.pending = new Map(questions.questions.map((q) => [q.run_id + '/' + q.step, q]));
    this.steps = new Map();
    // subRuns maps each sub-run's id to the step of this run that started
    // it, or one of its sub-runs (top: the card its output lines go to),
    // and to the path of its steps as the report's rows name them
    // (fan[web-1]/, call/inner/).
    this.subRuns = new Map();
    this.statusEl = h('span', { class: 'run-status' });
    this.announce = h('p', { class: 'sr-only', 'aria-live': 'polite' });
    // notes says, under the run's status, what its status does not count:
    // the notify: entries that did not go out as written.
    this.notes = h('ul', { class: 'plain run-notes', 'aria-label': 'Notes on the run', hidden: true });
    this.facts = h('dl', { class: 'facts' });
    this.actions = h('div', { class: 'actions' });
    this.questionsEl = h('section', { class: 'questions', 'aria-label': 'Questions waiting for an answer', hidden: true });
    this.errorEl = h('div');
    // connEl says, while the event stream is not open, that what the page
    // shows is as it last knew it.
    this.connEl = h('div', { id: 'connection', role: 'status', 'aria-live': 'polite' });
    this.timelineImg = h('img', { alt: "Timeline of the run's steps: one bar per step on a time axis from the run's start", class: 'timeline' });
    // The timeline's box is at most about half a screen high: a run of
    // 500 steps draws 500 rows, 12,000 pixels between its error and its
    // steps. Past that the box scrolls, from the keyboard too.
    this.timelineBox = h('div', { class: 'chart-scroll' }, this.timelineImg);
    on(this.timelineImg, 'load', () => this.fitTimeline());
    this.stepsEl = h('ol', { class: 'steps' });
    // lazyNote says, on a page of many steps, what Find in page finds
    // while the steps' details are drawn (lazy.js).
    this.lazyNote = lazyNote();
    this.inputsEl = h('section');
    this.outputsEl = h('section');
    this.timelineURL = '';
    this.refreshTimeline = debounce(() => this.loadTimeline(), 600);
    // heading takes the focus when the control that had it goes (an
    // answered question, Cancel run once pressed), rather than the body.
    this.heading = title(rep.playbook.name, ' ', this.statusEl);
    clear(ctx.main,
      this.heading, this.notes,
      // What went wrong comes first, above the facts and Run again: it
      // is what the page of a failed run is opened for.
      this.announce, this.connEl, this.errorEl, this.facts, this.actions, this.questionsEl,
      h('h2', null, 'Timeline'),
      h('figure', { class: 'chart' }, this.timelineBox,
        h('figcaption', { class: 'muted small' }, 'Time from the run\'s start; a bar is a step, segments are its attempts, thin bars its fan-out items. ',
          h('span', { class: 'phone-only' }, 'Scroll sideways for the whole timeline.'))),
      h('h2', null, 'Steps'), this.lazyNote, this.stepsEl,
      this.outputsEl, this.inputsEl);
    ctx.onLeave(() => {
      this.left = true;
      clearTimeout(this.retry);
      clearTimeout(this.questionsTimer);
      this.stop();
    });
  }

  live() { return this.rep.status === 'running' || this.rep.status === 'queued'; }

  // render shows a report: the snapshot of a live run, or the final one.
  render(rep) {
    const was = this.rep && shownStatus(this.rep);
    this.rep = rep;
    const now = shownStatus(rep);
    clear(this.statusEl, badge(now));
    if (was && was !== now) clear(this.announce, SAID[now] || 'The run is ' + now + ' now.');
    // A warning about the whole run (its playbook's file changed since
    // the server loaded it) comes first.
    const warnings = rep.warnings || [];
    const notes = [...ignoredNote(rep.steps), ...notifyNotes(rep.steps)];
    clear(this.notes, warnings.map((w) => h('li', { class: 'file-changed' }, w)), notes.map((n) => h('li', null, n)));
    this.notes.hidden = !notes.length && !warnings.length;
    this.renderFacts();
    this.renderActions();
    clear(this.errorEl, rep.error ? h('div', { class: 'error', role: rep.status === 'failed' ? 'alert' : null },
      errorHead(rep.error, ': '), h('pre', { class: 'inline-pre' }, rep.error.message)) : null);
    if ((rep.steps || []).length >= LAZY_STEPS) this.drawLazily();
    for (const st of rep.steps || []) this.step(st.id, st.section).update(st, this.live());
    this.renderQuestions();
    this.renderIO();
    this.loadTimeline();
  }

  renderFacts() {
    const rep = this.rep;
    // A queued run has not started (its started_at is when it was
    // queued); one that ended before it started has the zero time.
    const started = hasStarted(rep) ? new Date(rep.started_at).getTime() : NaN;
    // Cut off from the server, the page does not know the run goes on:
    // its duration stops where the connection was lost. Both count by the
    // server's clock, not the browser's. Drawn each second, only what
    // changed is (update): the run's id stays selected to be copied.
    const dur = isNaN(started) ? NaN : this.live() ? sinceMS(rep.started_at, this.lostAt || serverNow()) : rep.duration_ms;
    update(this.facts, () => null,
      h('dt', null, 'Run'), h('dd', null, h('code', null, rep.run_id)),
      rep.resumed_from ? [h('dt', null, 'Resumed from'), h('dd', null, h('a', { href: '/runs/' + encodeURIComponent(rep.resumed_from) }, rep.resumed_from))] : null,
      h('dt', null, 'Started'), h('dd', { class: 'started' }, isNaN(started)
        ? h('span', { class: 'muted' }, rep.status !== 'queued' ? 'never started' : 'queued, not started yet' + (rep.waiting ? ': ' + rep.waiting.message : ''))
        : timeEl(rep.started_at, true)),
      h('dt', null, 'Duration'), h('dd', { class: 'duration' }, fmtMS(dur)),
      this.starter ? [h('dt', null, 'Started by'), h('dd', { class: 'started-by' }, this.starter)] : null,
      h('dt', null, 'Roles'), h('dd', null, (rep.roles || []).join(', ') || 'none'),
      rep.dry_run ? [h('dt', null, 'Dry run'), h('dd', null, 'only read operations were executed')] : null,
      h('dt', null, 'Playbook'), h('dd', null, h('code', { class: 'break', title: rep.playbook.path || null }, (rep.playbook.path || rep.playbook.name).split('/').pop()),
        rep.playbook.sha256 ? h('span', { class: 'muted small', title: 'SHA-256 ' + rep.playbook.sha256 }, ' sha256 ' + rep.playbook.sha256.slice(0, 12)) : null));
  }

  // readStarter reads who started the run and how (api, cli, schedule):
  // the report does not hold them, the run's row in the runs list does.
  // The row is among the latest runs of its playbook listed up to its
  // start (a queued run's row has the time it was queued, before it).
  // Until it is read, or when it is not found, the page says nothing of
  // it rather than something wrong.
  async readStarter() {
    const at = Date.parse(this.rep.started_at);
    if (isNaN(at)) return;
    const q = new URLSearchParams({ playbook: this.rep.playbook.name, limit: String(STARTER_READ), before: new Date(at + 1).toISOString() });
    let row;
    try {
      row = (await this.ctx.get('/api/v1/runs?' + q)).runs.find((r) => r.id === this.id);
    } catch (err) {
      return;
    }
    if (!row || this.left) return;
    const trigger = row.trigger || 'cli';
    this.starter = (row.started_by || (trigger === 'schedule' ? 'scheduler' : 'not recorded')) + ' · via ' + trigger;
    this.renderFacts();
  }

  renderIO() {
    const rep = this.rep;
    const kv = (obj, what) => {
      const keys = Object.keys(obj || {}).sort();
      if (!keys.length) return null;
      return [h('h2', null, what), h('dl', { class: 'facts io' }, keys.map((k) => [h('dt', null, h('code', null, k)), h('dd', null, h('pre', null, text(obj[k])))]))];
    };
    clear(this.outputsEl, this.live() ? null : kv(rep.outputs, 'Outputs'),
      rep.output_errors ? kv(rep.output_errors, 'Outputs not computed') : null);
    clear(this.inputsEl, kv(rep.inputs, 'Inputs'));
  }

  // noteSubRun learns from an event of a sub-run which step of this run
  // it runs under: its parent's, or, for a sub-run this run started,
  // parent_step without the item ("fan" of "fan[web-1]").
  noteSubRun(ev) {
    if (!ev.run_id || this.subRuns.has(ev.run_id) || !ev.parent_step) return;
    if (ev.parent_run_id === this.id) {
      this.subRuns.set(ev.run_id, { top: ev.parent_step.split('[')[0], path: ev.parent_step + '/' });
      return;
    }
    const parent = this.subRuns.get(ev.parent_run_id);
    if (parent) this.subRuns.set(ev.run_id, { top: parent.top, path: parent.path + ev.parent_step + '/' });
  }

  step(id, section) {
    let v = this.steps.get(id);
    if (!v) {
      v = new StepView(id, section);
      this.steps.set(id, v);
      this.stepsEl.append(v.el);
      if (this.lazy) this.lazyCard(v);
      if (this.steps.size >= LAZY_STEPS) this.drawLazily();
    }
    return v;
  }

  // reveal shows what the address names after its "#" (revealIn).
  reveal(hash) { revealIn(this.steps, this.rep.steps, hash); }

  // fitTimeline makes the timeline's box a stop of the keyboard's Tab,
  // so that its arrows scroll it, when it scrolls, and no stop when not.
  fitTimeline() {
    const box = this.timelineBox;
    const scrolls = box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1;
    if (scrolls) {
      box.setAttribute('tabindex', '0');
      box.setAttribute('role', 'region');
      box.setAttribute('aria-label', 'Timeline, scrolls');
    } else {
      box.removeAttribute('tabindex');
      box.removeAttribute('role');
      box.removeAttribute('aria-label');
    }
  }

  async loadTimeline() {
    try {
      const url = await blobURL(this.base + '/timeline.svg', this.ctx.signal);
      if (this.left) {
        URL.revokeObjectURL(url);
        return;
      }
      if (this.timelineURL) URL.revokeObjectURL(this.timelineURL);
      this.timelineURL = url;
      this.timelineImg.src = url;
    } catch (err) {
      /* the steps below say the same */
    }
  }

  // follow subscribes to the run's event stream; the browser resumes it
  // after a dropped connection with Last-Event-ID. While it is not open
  // the page says so, freezes the duration and disables Cancel.
  follow() {
    this.es = new EventSource(this.base + '/events');
    this.es.addEventListener('open', () => this.connection(true));
    for (const kind of KINDS) {
      this.es.addEventListener(kind, (e) => {
        let ev;
        try { ev = JSON.parse(e.data); } catch (err) { return; }
        this.onEvent(ev);
      });
    }
    this.es.addEventListener('error', () => {
      if (!this.es) return;
      if (this.es.readyState === EventSource.CLOSED) this.reload();
      else this.connection(false); // the browser tries again by itself
    });
    this.ticker = setInterval(() => { if (this.live()) this.renderFacts(); }, 1000);
    this.watchQueue();
  }

  stop() {
    if (this.es) this.es.close();
    this.es = null;
    clearInterval(this.ticker);
    clearTimeout(this.queueTimer);
    if (this.timelineURL) URL.revokeObjectURL(this.timelineURL);
  }

  // connection records whether the page hears from the server: lost, it
  // says so and keeps what it shows as last known; back, it goes on.
  connection(open) {
    if (open === !this.lostAt) return;
    this.lostAt = open ? 0 : serverNow();
    clear(this.connEl, open ? null : h('p', { class: 'error' },
      h('strong', null, 'Connection lost, reconnecting… '),
      'The server cannot be reached: the status, duration and steps are as last known, and Cancel comes back once it can.'));
    this.renderFacts();
    this.renderActions();
  }

  async reload() {
    this.stop();
    try {
      const rep = await this.ctx.get(this.base);
      if (this.left) return;
      this.connection(true);
      this.render(rep);
      if (this.live()) this.follow();
    } catch (err) {
      if (err.status === 401 || this.left) return;
      if (notNow(err)) {
        // The server, or the proxy's way to it, is down, or it limits
        // this session's rate: try again, after its Retry-After if it
        // gave one.
        this.connection(false);
        this.retry = setTimeout(() => this.reload(), retryDelay(err, 3000));
        return;
      }
      clear(this.errorEl, errorBox(err));
    }
  }

  // watch reads the run every WATCH_MS, for a run that goes on with no
  // event stream to follow, until it has ended; a read refused for now
  // waits for its Retry-After (ms).
  watch(ms) {
    clearTimeout(this.retry);
    this.retry = setTimeout(async () => {
      try {
        const rep = await this.ctx.get(this.base);
        if (this.left) return;
        this.render(rep);
        if (!this.live()) {
          this.stop();
          this.pending.clear();
          this.renderQuestions();
          for (const v of this.steps.values()) v.settle();
          return;
        }
      } catch (err) {
        if (err.status === 401 || this.left) return;
        if (notNow(err)) {
          this.watch(retryDelay(err, WATCH_MS));
          return;
        }
      }
      this.watch();
    }, ms || WATCH_MS);
  }

  // caughtUp answers a dropped event: the stream skipped events, as it
  // does first of all for a page that opens a run with more events than
  // the stream keeps (a build that printed 30,000 lines), or for a page
  // that fell that far behind. What they told is in the run's report, read
  // once more, and the page goes on with the same stream: a new stream
  // would begin from the same gap, and so for ever. Drops that come while
  // a read is under way make one more read after it, not one each.
  caughtUp() {
    if (!this.skipped) toast('Some live events were skipped; the page read the run again.');
    this.skipped = true;
    if (this.rereading) {
      this.readAgain = true;
      return;
    }
    this.rereading = true;
    this.reread().finally(() => {
      this.rereading = false;
      if (this.readAgain && !this.left) {
        this.readAgain = false;
        this.caughtUp();
      }
    });
  }

  // reread takes the run's facts from the server again, keeping the
  // event stream.
  async reread() {
    try {
      const rep = await this.ctx.get(this.base);
      if (this.es && !this.left && rep.status === 'running') this.render(rep);
    } catch (err) {
      /* the next event corrects the page */
    }
  }

  onEvent(ev) {
    const own = ev.run_id === this.id;
    if (!own) this.noteSubRun(ev);
    switch (ev.kind) {
      case 'run_started':
        if (own && this.rep.status === 'queued') {
          // The run has left the queue: its start is the event's time, or,
          // without one, what the server now says.
          this.render({ ...this.rep, status: 'running', started_at: ev.time || this.rep.started_at });
          if (!ev.time) this.reread();
        }
        return;
      case 'step_started':
        if (own) this.step(ev.step, ev.section).started(ev);
        return;
      case 'step_finished':
        if (own) {
          this.step(ev.step, ev.section).finished(ev);
          this.refreshTimeline();
        }
        return;
      case 'item_started':
      case 'item_finished':
        if (own) this.step(ev.step, ev.section).item(ev);
        return;
      case 'batch_started':
      case 'batch_finished':
        if (own) this.step(ev.step, ev.section).batch(ev);
        return;
      case 'retry':
        if (own) this.step(ev.step, ev.section).retried(ev, (said) => clear(this.announce, said + '.'));
        return;
      case 'repeat':
        if (own) this.step(ev.step, ev.section).waitNext(ev);
        return;
      case 'log': {
        // A sub-run's line goes to the card of this run's step that
        // started it, however deep: its parent_step may name a fan-out's
        // item (fan[web-1]) or a step of another sub-run. The line names
        // the sub-run's step by its path, which tells the items apart.
        const sub = own ? null : this.subRuns.get(ev.run_id);
        const target = own ? ev.step : sub && sub.top;
        if (!target) return;
        const prefix = (own ? '' : '[' + sub.path + (ev.step || '') + '] ') + (ev.stream === 'stderr' ? '! ' : '');
        // A message of several lines (a control.log of a log's tail) is
        // as many lines of the box, each named as the first, and counts
        // as many against the lines the box keeps.
        const lines = String(ev.message || '').replace(/\r?\n$/, '').split(/\r?\n/).map((l) => prefix + l);
        // The sub-run's section is of its own step, not of this run's.
        const v = this.step(target, own ? ev.section : undefined);
        for (const line of lines) v.log(line, ev.index);
        // A sub-run's index is an item of its own steps, not of this one.
        if (own && ev.index !== undefined && ev.index !== null) v.itemOutput(ev.index, lines[lines.length - 1]);
        return;
      }
      case 'confirm_asked': {
        // The stream's replay asks again what the page already shows (it
        // read the questions when it opened): drawing the buttons again
        // would take a click that was landing on them.
        const key = ev.run_id + '/' + ev.step;
        if (!this.pending.has(key)) {
          const q = { run_id: ev.run_id, step: ev.step, op: ev.op, question: ev.message || '' };
          this.pending.set(key, q);
          this.renderQuestions();
          this.askedNow([q]);
          this.judgeAsked();
        }
        if (own) this.step(ev.step, ev.section).waiting();
        return;
      }
      case 'confirm_answered':
        this.pending.delete(ev.run_id + '/' + ev.step);
        this.renderQuestions();
        // No answer: the run was cancelled, or a timeout ran out, while
        // the question waited.
        if (own) this.step(ev.step, ev.section).note(ev.answer ? 'answered ' + ev.answer + (ev.by ? ' by ' + ev.by : '') : 'not answered');
        return;
      case 'run_finished':
        if (!own) return;
        if (ev.status === 'running' || ev.status === 'queued') {
          // An end that is none: the stream ended while the run goes on.
          // The page does not take it for the end, and reads the run
          // until it has really ended.
          if (this.es) this.es.close();
          this.es = null;
          this.watch();
          return;
        }
        this.stop();
        this.pending.clear();
        if (ev.report) this.render(ev.report);
        else this.reload();
        // What opened itself to show live output closes again; what the
        // user opened, and what failed, stays open.
        for (const v of this.steps.values()) v.settle();
        return;
      case 'dropped':
        this.caughtUp();
        return;
    }
  }
}

// The questions' methods (renderQuestions, readQuestionsLater…) are in
// questions.js; Cancel run and Run again (renderActions…) in actions.js;
// the cards of a run of many steps drawn later (drawLazily…) in lazy.js;
// a queued run's place, read again while it waits (watchQueue), in
// queue.js.
Object.assign(RunView.prototype, questionMethods, actionMethods, lazyMethods, queueMethods);

// What a live region says when the run's status changes.
const SAID = {
  queued: 'The run is queued.', running: 'The run is running.', succeeded: 'The run succeeded.', failed: 'The run failed.',
  cancelled: 'The run was cancelled.', denied: 'The run was denied.', interrupted: 'The run was interrupted.',
};

// hasStarted says whether a run has a start time: a queued run has the
// zero time (year 1).
function hasStarted(rep) {
  // A queued run's started_at is when it was queued, as the run list has it.
  if (rep.status === 'queued') return false;
  const t = rep.started_at ? Date.parse(rep.started_at) : NaN;
  return !isNaN(t) && t > 0;
}

// ignoredNote is the note of the run's summary on its steps that failed
// but continue_on_error let the run go on, with a link to each card (the
// first 10), as the text summary says it: a run that succeeded with a
// step of 500 failed gave no sign of it above its steps.
function ignoredNote(steps) {
  const ids = (steps || []).filter((st) => st.status === 'failed' && st.ignored && !st.rescued).map((st) => st.id);
  if (!ids.length) return [];
  const shown = ids.slice(0, 10);
  return [[ids.length === 1 ? '1 step failed but was ignored (continue_on_error): ' : ids.length + ' steps failed but were ignored (continue_on_error): ',
    shown.map((id, i) => [i ? ', ' : '', h('a', { href: '#step-' + id }, id)]),
    ids.length > shown.length ? ' and ' + (ids.length - shown.length) + ' more' : '']];
}
