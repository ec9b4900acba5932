// The questions of the run page: the confirm: questions a run waits on,
// with Yes and No for callers who may answer them, said to screen readers
// as they come, and read again while the server refuses them for now.
// These are methods of the run page's RunView (see run.js).

import { h, clear, refreshOr, api, errorBox, toast, notNow, retryDelay } from './lib.js';

export const questionMethods = {
  // readQuestionsLater reads the run's questions again after err's
  // Retry-After, for as long as the server refuses them for now and the
  // run goes on.
  readQuestionsLater(err) {
    clearTimeout(this.questionsTimer);
    this.questionsTimer = setTimeout(async () => {
      if (this.left || !this.live()) return;
      let q;
      try {
        q = await this.ctx.get(this.base + '/questions');
      } catch (again) {
        if (notNow(again) && !this.left) this.readQuestionsLater(again);
        return;
      }
      if (this.left) return;
      this.mayAct = q.may_act;
      this.refused = q.refused || '';
      const asked = [];
      for (const x of q.questions) {
        const key = x.run_id + '/' + x.step;
        if (!this.pending.has(key)) {
          this.pending.set(key, x);
          asked.push(x);
        }
      }
      this.renderActions();
      this.renderQuestions();
      this.askedNow(asked);
    }, retryDelay(err, 3000));
  },

  // renderQuestions shows the questions waiting for an answer. A
  // question drawn again keeps the focus on its button; one that went
  // (answered, here or elsewhere) leaves it on the next question's Yes,
  // else on the page's heading.
  renderQuestions() {
    const list = [...this.pending.values()];
    this.questionsEl.hidden = list.length === 0;
    refreshOr(this.questionsEl, () => this.nextQuestion(), list.length ? h('h2', null, 'Waiting for an answer') : null, list.map((q) => {
      const out = h('div', { class: 'answer-status', 'aria-live': 'polite' });
      const yes = h('button', { type: 'button', class: 'primary', 'data-answer': 'yes', 'data-action': 'yes' }, 'Yes, run it');
      const no = h('button', { type: 'button', 'data-answer': 'no', 'data-action': 'no' }, 'No, do not run it');
      const answer = async (word) => {
        // Disabled, the pressed button loses the focus; where it goes
        // once the answer is taken is decided below.
        const pressed = word === 'yes' ? yes : no;
        yes.disabled = no.disabled = true;
        try {
          const body = { step: q.step, answer: word };
          if (q.run_id !== this.id) body.run_id = q.run_id;
          await api('POST', this.base + '/confirm', body);
          this.pending.delete(q.run_id + '/' + q.step);
          this.renderQuestions();
          toast('Answered ' + word + ' for step ' + q.step + '.');
          if (!this.left && (!document.activeElement || document.activeElement === document.body)) {
            const next = this.nextQuestion();
            if (next) next.focus();
          }
        } catch (err) {
          yes.disabled = no.disabled = false;
          if (err.status !== 401) clear(out, errorBox(err));
          if (pressed.isConnected) pressed.focus();
        }
      };
      yes.addEventListener('click', () => answer('yes'));
      no.addEventListener('click', () => answer('no'));
      return h('div', { class: 'question card', role: 'group', 'aria-label': 'Question of step ' + q.step, 'data-step': q.step, 'data-key': q.run_id + '/' + q.step },
        h('p', null, 'Step ', h('code', null, q.step), q.run_id !== this.id ? [' of sub-run ', h('code', null, q.run_id)] : null, ' asks:'),
        h('p', { class: 'question-text' }, q.question),
        this.mayAct && q.may_approve !== false ? h('div', { class: 'actions' }, yes, no)
          : this.mayAct ? [h('div', { class: 'actions' }, no),
            h('p', { class: 'muted yes-refused' }, 'You may answer no, not yes: ' + (q.yes_refused || 'the server would refuse it') + '.')]
            : h('p', { class: 'muted answer-refused' }, 'Someone who may run this playbook must answer it; your roles may not' +
              (this.refused ? ' (' + this.refused + ')' : '') + '.'),
        out);
    }));
  },

  // judgeAsked reads the run's questions again once one came by the event
  // stream, which does not say whether the caller may answer yes to it:
  // the server's list does (may_approve), by the check its confirm makes.
  // Until it comes Yes is shown; a yes the server would refuse is then
  // taken away, and why said. Only a judgement that changes what is
  // shown draws the questions again.
  async judgeAsked() {
    let q;
    try {
      q = await this.ctx.get(this.base + '/questions');
    } catch (err) {
      return;
    }
    if (this.left) return;
    let changed = this.mayAct !== q.may_act;
    const noOnly = [];
    this.mayAct = q.may_act;
    this.refused = q.refused || '';
    for (const x of q.questions) {
      const p = this.pending.get(x.run_id + '/' + x.step);
      if (!p) continue;
      if ((p.may_approve !== false) !== x.may_approve) {
        changed = true;
        // Said before it was judged as one to answer Yes or No.
        if (x.may_approve === false) noOnly.push(p);
      }
      p.may_approve = x.may_approve;
      p.yes_refused = x.yes_refused;
    }
    if (!changed) return;
    this.renderActions();
    this.renderQuestions();
    if (this.mayAct) this.askedNow(noOnly);
  },

  // nextQuestion is where the focus goes when a question it was on has
  // gone: the next question's Yes, else the page's heading.
  nextQuestion() {
    return this.questionsEl.querySelector('.question button:not([disabled])') || this.heading;
  },

  // askedNow tells a screen reader that the run asks questions, which it
  // waits on: they land above the timeline, away from where the user may
  // be reading, or come with the page just opened.
  askedNow(qs) {
    if (!qs.length) return;
    const what = qs.length === 1 ? 'Step ' + qs[0].step + ' asks: ' + qs[0].question
      : qs.length + ' steps ask questions: ' + qs.map((q) => q.step).join(', ') + '.';
    // Where Yes is not offered (the server would refuse it), Answer it
    // would promise what the page does not hold.
    const noOnly = qs.every((q) => q.may_approve === false);
    clear(this.announce, what + ' ' + (!this.mayAct ? 'Someone who may run this playbook must answer.'
      : noOnly ? 'You may answer No, not Yes: ' + (qs.length === 1 ? 'it is' : 'they are') + ' under Waiting for an answer, at the top of the page.'
        : (qs.length === 1 ? 'Answer it' : 'Answer them') + ' under Waiting for an answer, at the top of the page.'));
  },
};
