// The queue of the run page: the event stream says nothing while a run
// waits, so a queued run's page reads the run again every QUEUE_MS, and
// what it waits for, and how many runs are ahead of it, stay as the
// server has them rather than as the page found them. It stops once the
// run has left the queue (the stream tells the start or the end).
// These are methods of the run page's RunView (see run.js).

import { notNow, retryDelay } from './lib.js';

// QUEUE_MS is how often a queued run's page reads where the run stands.
const QUEUE_MS = 3000;

export const queueMethods = {
  // watchQueue reads the run after ms (QUEUE_MS by default), and again
  // after that, while the page shows it queued; a read refused for now
  // waits for its Retry-After.
  watchQueue(ms) {
    clearTimeout(this.queueTimer);
    if (this.left || this.rep.status !== 'queued') return;
    this.queueTimer = setTimeout(async () => {
      let rep;
      try {
        rep = await this.ctx.get(this.base);
      } catch (err) {
        if (err.status === 401 || this.left) return;
        this.watchQueue(notNow(err) ? retryDelay(err, QUEUE_MS) : QUEUE_MS);
        return;
      }
      // Only a wait is taken from the read: a start or an end is the
      // stream's to tell (its steps, its report), and an answer that
      // crossed the stream's run_started must not put the run back in
      // the queue.
      if (this.left || this.rep.status !== 'queued') return;
      if (rep.status === 'queued') {
        this.rep = { ...this.rep, waiting: rep.waiting };
        this.renderFacts();
      }
      this.watchQueue();
    }, ms || QUEUE_MS);
  },
};
