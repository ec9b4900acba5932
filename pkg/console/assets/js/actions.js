// The run page's actions: Cancel run while the run goes on, and Run again
// once it has ended, offered only to a caller whose roles may run the
// playbook. They are methods of the run page's view (see run.js).

import { h, clear, refreshOr, firstControl, api, toast, errorBox } from './lib.js';

export const actionMethods = {
  // renderActions shows Cancel run, which asks in the page before it
  // cancels (a run is often an incident's runbook, and one stray click
  // must not stop it), or, once the run has ended, Run again. The focus
  // stays on the control that had it when a re-render draws it again;
  // when it does not (Cancel run pressed, or replaced by Run again), it
  // goes to the first control left there, else to the page's heading.
  renderActions() {
    const rep = this.rep;
    const items = [];
    if (this.live() && this.mayAct) {
      items.push(this.confirming ? this.cancelQuestion()
        : h('button', { type: 'button', class: 'danger', id: 'cancel', 'data-action': 'cancel', disabled: this.cancelling || !!this.lostAt,
          title: this.lostAt ? 'the server cannot be reached; Cancel comes back once it can' : null,
          onclick: () => this.askCancel() }, this.cancelling ? 'Cancelling…' : 'Cancel run'));
    } else if (this.live() && this.refused) {
      // No Cancel run: the server would refuse it, for the reason it gives.
      items.push(h('p', { class: 'muted cancel-refused', id: 'cancel-refused' }, 'You may not cancel this run: ' + this.refused + '.'));
    }
    const op = executedOp(rep);
    if (!this.live() && op) {
      // An operation executed alone has no playbook to run again.
      items.push(h('p', { class: 'muted' }, 'The operation ', h('code', null, op), ' executed alone; execute it again from ',
        h('a', { href: '/operations' }, 'Operations'), '.'));
    } else if (!this.live() && this.rerunRefused) {
      items.push(h('p', { class: 'muted rerun-refused' }, this.rerunRefused));
    } else if (!this.live()) {
      items.push(h('a', { class: 'button', href: '/playbooks/' + encodeURIComponent(rep.playbook.name) + '?rerun=' + encodeURIComponent(rep.run_id) },
        'Run again with the same inputs'));
      this.mayRunAgain();
    }
    refreshOr(this.actions, () => (this.confirming ? null : firstControl(this.actions) || this.heading), items);
  },

  // mayRunAgain asks the server, once, whether the caller may run the
  // playbook again: its preflight, with no inputs, says whether the
  // caller's roles may run each step. Run again is taken away, and why
  // said, when they may not, or when the server has no such playbook (a
  // run of the command line, or one no longer served); any other answer
  // leaves it, and the playbook's page says what holds.
  async mayRunAgain() {
    if (this.rerunAsked) return;
    this.rerunAsked = true;
    const name = this.rep.playbook.name;
    try {
      const pf = await api('POST', '/api/v1/playbooks/' + encodeURIComponent(name) + '/preflight', { inputs: {} }, this.ctx.signal);
      const denied = (pf.steps || []).find((d) => !d.allowed);
      if (denied) {
        this.rerunRefused = 'Your roles may not run ' + name + ' (step ' + denied.step + ' is denied' + (denied.rule ? ' by rule ' + denied.rule : '') +
          '), so it cannot be run again from here.';
      }
    } catch (err) {
      if (err.status === 404) this.rerunRefused = 'This server has no playbook ' + name + ' to run again.';
      else if (err.status === 403 && err.class === 'authorization') this.rerunRefused = err.message;
    }
    if (this.rerunRefused && !this.left) this.renderActions();
  },

  // cancelQuestion asks whether to cancel, naming the playbook and what
  // cancelling does; Escape, like Keep running, keeps the run going.
  cancelQuestion() {
    const queued = this.rep.status === 'queued';
    return h('div', { class: 'confirm-cancel', id: 'cancel-question', role: 'group', 'aria-labelledby': 'cancel-q', 'aria-describedby': 'cancel-what',
      onkeydown: (e) => { if (e.key === 'Escape') this.keepRunning(); } },
    h('p', { id: 'cancel-q' }, h('strong', null, 'Cancel this ' + (queued ? 'queued ' : '') + 'run of ', h('code', null, this.rep.playbook.name), '?')),
    h('p', { id: 'cancel-what' }, queued
      ? 'It leaves the queue and never starts.'
      : ['Its running steps are stopped; then its ', h('code', null, 'on_cancel'), ' and ', h('code', null, 'finally'),
        ' steps, if it has any, run, and ', h('code', null, 'on_failure'), ' is skipped.']),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'danger', id: 'cancel-confirm', 'data-action': 'cancel-confirm', disabled: !!this.lostAt, onclick: () => this.cancel() }, 'Cancel run'),
      h('button', { type: 'button', id: 'cancel-keep', 'data-action': 'cancel-keep', onclick: () => this.keepRunning() }, 'Keep running')));
  },

  askCancel() {
    this.confirming = true;
    this.renderActions();
    // The focus goes to the choice that changes nothing, so that a second
    // Enter does not cancel.
    const keep = this.actions.querySelector('#cancel-keep');
    if (keep) keep.focus();
  },

  keepRunning() {
    this.confirming = false;
    this.renderActions();
    const again = this.actions.querySelector('#cancel');
    if (again) again.focus();
  },

  async cancel() {
    this.confirming = false;
    this.cancelling = true;
    const queued = this.rep.status === 'queued';
    this.renderActions();
    try {
      await api('POST', this.base + '/cancel');
      toast(queued ? 'Cancelled: the run leaves the queue.' : 'Cancelling: running steps are stopped, then on_cancel and finally run.');
    } catch (err) {
      if (beingCancelled(err, this.id)) {
        // Someone cancelled it first (another operator, another tab): what
        // was asked is under way, so the page says so, not an error, and
        // Cancel run stays disabled until the run's end comes.
        toast(queued ? 'Cancelled already: someone cancelled this queued run before you; it never starts.'
          : 'Cancelling already: someone cancelled this run before you; its running steps are stopped, then on_cancel and finally run.');
        return;
      }
      this.cancelling = false;
      this.renderActions();
      if (err.status !== 401) clear(this.errorEl, errorBox(err));
    }
  },

};

// beingCancelled says whether a cancel's error answer says that the run
// is being cancelled already: a 409 of that reason for this run (one that
// ended has reason ended; one that runs in another process, none).
function beingCancelled(err, runID) {
  return err.status === 409 && err.reason === 'being_cancelled' && err.run_id === runID;
}

// executedOp is the operation a run executed alone (POST
// /api/v1/operations/{name}/execute), or '' for a playbook's run: the
// server records such a run as the playbook execute-OP, whose path it
// gives as "operation OP".
function executedOp(rep) {
  const pb = rep.playbook || {};
  const path = pb.path || '';
  if (!path.startsWith('operation ') || !(pb.name || '').startsWith('execute-')) return '';
  return path.slice('operation '.length);
}

