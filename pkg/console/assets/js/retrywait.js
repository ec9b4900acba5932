// A step's wait between two attempts, on the run page: a retry: after a
// failed attempt (or one whose retry.until is false), a repeat: between
// two polls. The card counts the wait down, by the server's clock, until
// the next attempt starts. These are methods of a step's card (StepView,
// see step.js).

import { h, clear, fmtMS, serverNow } from './lib.js';

export const waitMethods = {
  // retried notes a retry event on the card: what the attempt did and
  // how long the step waits, and counts the wait down (a step's own, not
  // an item's of its fan-out). The retry of a fan-out's item is noted
  // with the item's name, so that it does not read as the step's own.
  // say tells a screen reader of the wait, once: the countdown is not
  // read out each second.
  retried(ev, say) {
    // A succeeded attempt is tried again when its retry.until is false:
    // the event says so in message, with no error.
    const why = !ev.error && ev.message ? 'succeeded, but ' + ev.message : 'failed (' + (ev.error || ev.error_class || 'error') + ')';
    const whose = isItem(ev) ? this.itemWords(ev) + ': ' : '';
    this.note(whose + 'attempt ' + ev.attempt + ' ' + why + '; trying again in ' + fmtMS(ev.delay_ms));
    if (!isItem(ev) && this.waitNext(ev) && say) say('Step ' + this.id + ' ' + this.waitText());
  },

  // waitNext counts down, on the card, the wait before the attempt after
  // ev's (a retry or a repeat event of the step itself); false when that
  // wait is already over (an event replayed to a page opened later).
  waitNext(ev) {
    if (isItem(ev)) return false;
    const until = Date.parse(ev.time) + (ev.delay_ms || 0);
    if (isNaN(until) || until <= serverNow()) return false;
    if (!this.waitEl) {
      // A timer: its changes are not read out as they come.
      this.waitEl = h('p', { class: 'retry-wait', role: 'timer', hidden: true });
      this.notes.after(this.waitEl);
    }
    this.wait = { until, attempt: ev.attempt + 1, of: ev.attempts || 0 };
    this.tickWait();
    return true;
  },

  // itemWords names the item of ev in a note as the sub-runs name an
  // item, "item 2 (web-3)": its index, and its label (else the preview
  // of its value that its events carried) when it has one.
  itemWords(ev) {
    const it = (this.items && this.items.get(ev.index)) || {};
    const name = ev.label || it.label || (it.item !== undefined && it.item !== null ? preview(it.item) : '');
    return 'item ' + ev.index + (name ? ' (' + name + ')' : '');
  },

  // waitText is what the card says of the wait: "waits 4 s before
  // attempt 2 of 3".
  waitText() {
    const w = this.wait;
    const left = Math.ceil((w.until - serverNow()) / 1000);
    return 'waits ' + (left < 60 ? left + ' s' : fmtMS(left * 1000)) + ' before attempt ' + w.attempt + (w.of ? ' of ' + w.of : '');
  },

  // tickWait draws the wait as it is now, and again as its next second
  // is gone, until it is over or the card is gone.
  tickWait() {
    clearTimeout(this.waitTimer);
    const left = this.wait ? this.wait.until - serverNow() : 0;
    if (left <= 0 || !this.el.isConnected) {
      this.endWait();
      return;
    }
    clear(this.waitEl, this.waitText());
    this.waitEl.hidden = false;
    this.waitTimer = setTimeout(() => this.tickWait(), left % 1000 || 1000);
  },

  // endWait takes the wait off the card: the next attempt started, or the
  // step ended.
  endWait() {
    clearTimeout(this.waitTimer);
    this.wait = null;
    if (this.waitEl) {
      this.waitEl.hidden = true;
      clear(this.waitEl);
    }
  },
};

function isItem(ev) { return ev.index !== undefined && ev.index !== null; }

// preview is an item's value in a note, clipped to a line.
function preview(v) {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 39) + '…' : s;
}
