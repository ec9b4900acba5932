// The run page's cards of a run of many steps: such a card draws its
// body (facts, error, output, items, sub-runs) when opened, and, after
// the page is shown, in the browser's idle time, a few cards at a time,
// so that Find in page finds a closed step by its output too (the
// browser opens the card it finds the text in). These are methods of
// the run page's RunView (see run.js).

import { h } from './lib.js';

// LAZY_STEPS is the number of steps from which the page draws the steps'
// cards first and their bodies after: drawing the bodies of 2,000 steps
// before the page showed any took seconds.
export const LAZY_STEPS = 100;

// IDLE_WAIT_MS bounds how long a card left to draw waits for the browser
// to be idle, on a page busy with a live run's events.
const IDLE_WAIT_MS = 2000;

export function lazyNote() {
  return h('p', { class: 'muted small lazy-note', hidden: true, id: 'lazy-note' },
    'The steps\' details are still being drawn: until then, Find in page finds a step by what its header shows.');
}

export const lazyMethods = {
  // drawLazily has the steps' cards draw their bodies once opened, or
  // when the browser is idle.
  drawLazily() {
    if (this.lazy) return;
    this.lazy = true;
    this.undrawn = new Set();
    for (const v of this.steps.values()) this.lazyCard(v);
  },

  // lazyCard makes v one of the cards drawn later.
  lazyCard(v) {
    v.lazy = true;
    v.onStale = () => this.drawSoon(v);
    if (v.bodyStale || v.itemsStale) this.drawSoon(v);
  },

  // drawSoon has v drawn in the browser's next idle time.
  drawSoon(v) {
    this.undrawn.add(v);
    if (this.idle) return;
    // The note tells of the first drawing, of all the cards: what a live
    // run changes after it is drawn within moments.
    if (!this.lazyDrawn) this.lazyNote.hidden = false;
    this.idle = whenIdle((deadline) => this.drawIdle(deadline));
  },

  // drawIdle draws undrawn cards while the browser has time for them
  // (a few when it is busy), and asks for more time for the rest.
  drawIdle(deadline) {
    this.idle = 0;
    if (this.left) return;
    let n = 0;
    for (const v of this.undrawn) {
      this.undrawn.delete(v);
      v.drawStale(true);
      n++;
      // Past its wait, the browser is busy: a few cards, not all.
      if (deadline.didTimeout ? n >= 10 : deadline.timeRemaining() < 2) break;
    }
    if (this.undrawn.size) {
      this.idle = whenIdle((d) => this.drawIdle(d));
      return;
    }
    this.lazyDrawn = true;
    this.lazyNote.hidden = true;
  },
};

// whenIdle calls f in the browser's next idle time, or past
// IDLE_WAIT_MS. A browser without requestIdleCallback (Safari) calls it
// after a short timer, as a busy one whose wait is over: a few cards at a
// time, between which the page stays responsive.
function whenIdle(f) {
  if (typeof window.requestIdleCallback === 'function') return window.requestIdleCallback(f, { timeout: IDLE_WAIT_MS });
  return setTimeout(() => f({ didTimeout: true, timeRemaining: () => 0 }), NO_IDLE_MS);
}

// NO_IDLE_MS is the pause between two batches of cards where the browser
// cannot say when it is idle.
const NO_IDLE_MS = 50;
