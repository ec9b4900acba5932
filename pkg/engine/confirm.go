package engine

// A step's confirm: question: asked before the step runs, answered by a
// person (a terminal, the console), by --yes, or by nobody.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// confirm asks whether the step may run. Without a confirmer or --yes the
// step is denied, its error saying what to do in the words of the front
// end (WithConfirmHint); a person who answers no declines it, which is no
// authorization matter: the step is cancelled with class declined.
func (r *run) confirm(ctx context.Context, n *node, env map[string]any, rec *record) bool {
	v, err := value(r.file, n.step.Confirm, env)
	if err != nil {
		rec.setErr(err)
		return false
	}
	q := Stringify(v)
	switch {
	case r.o.yes:
		// Recorded as an answer, so that the report and the audit log
		// tell a step --yes let through from one nobody was asked about.
		rec.confirmed = &report.Confirmation{Question: r.red.String(q), Answer: "yes", By: YesFlag, At: r.p.e.clock.Now().UTC()}
		return true
	case r.o.dryRun:
		rec.dryConfirm = r.dryConfirmNote(q)
		return true
	case r.p.e.confirmer == nil:
		hint := r.o.confirmHint
		if hint == "" {
			hint = DefaultConfirmHint
		}
		rec.setErr(ops.Errorf(ops.ClassAuthorization, "step needs confirmation (%q) but %s", r.red.String(q), hint))
		rec.reason = "needs confirmation, and " + hint
		r.auditUnrun(n, env, rec)
		return false
	}
	text := r.red.String(q)
	announce := func() {
		r.emit(Event{Kind: EventConfirmAsked, Step: n.step.ID, Op: n.step.Op, Section: string(n.step.Section), Message: text})
	}
	var ok bool
	var by string
	if rc, asks := r.p.e.confirmer.(RunConfirmer); asks {
		// The question is announced once the confirmer can take its
		// answer, so that whoever reacts to confirm_asked finds it open.
		ok, by, err = rc.ConfirmRun(ctx, Question{RunID: r.id, Step: n.step.ID, Op: n.step.Op, Text: text, Asked: sync.OnceFunc(announce)})
	} else {
		announce()
		ok, err = r.p.e.confirmer.Confirm(ctx, n.step.ID, text)
		by = answeredBy(r.p.e.confirmer)
	}
	// A question that ended without an answer (the run cancelled, a
	// timeout run out) closes with no answer: nobody said no.
	answer := ""
	switch {
	case err == nil && ok:
		answer = "yes"
	case err == nil:
		answer = "no"
	default:
		by = ""
	}
	by = r.red.String(by)
	r.emit(Event{Kind: EventConfirmAnswered, Step: n.step.ID, Op: n.step.Op, Section: string(n.step.Section), Answer: answer, By: by})
	if err == nil {
		rec.confirmed = &report.Confirmation{Question: text, Answer: answer, By: by, At: r.p.e.clock.Now().UTC()}
	}
	if err != nil {
		switch {
		case ctx.Err() != nil:
			rec.setErr(unanswered(causeOf(ctx, err)))
		case errors.Is(err, context.Canceled):
			// The confirmer gave the question up because the run is
			// being cancelled (the terminal it asked on went away): the
			// step is cancelled with the run, not denied.
			rec.setErr(unanswered(err))
		default:
			rec.setErr(ops.WithClass(ops.ClassAuthorization, fmt.Errorf("confirmation: %w", err)))
			rec.reason = "the confirm: question got no answer"
			r.auditUnrun(n, env, rec)
		}
		return false
	}
	if !ok {
		rec.setErr(ops.Errorf(ops.ClassDeclined, "declined at step %s: %s", n.step.ID, r.red.String(q)))
		rec.reason = "declined at the confirm: question"
		r.auditUnrun(n, env, rec)
		return false
	}
	return true
}

// dryConfirmNote says, for the reason of a step whose confirm: question
// q a dry run let through unasked, what a real run does there: ask it,
// and decline the step on a no; or, with nobody to ask, deny the step.
// Without it the dry run showed the step succeeded as if yes were a
// given.
func (r *run) dryConfirmNote(q string) string {
	note := fmt.Sprintf("confirm: %q was not asked", r.red.String(q))
	if r.p.e.confirmer == nil {
		hint := cmp.Or(r.o.confirmHint, DefaultConfirmHint)
		return note + "; a real run here denies the step: it needs confirmation, and " + hint
	}
	return note + "; a real run asks it before the step runs, and a no declines the step (the run fails)"
}

// withDryConfirm adds a dry run's note on the confirm: question it did
// not ask to the step's reason.
func (rec *record) withDryConfirm() {
	switch {
	case rec.dryConfirm == "":
	case rec.reason == "":
		rec.reason = "dry run: " + rec.dryConfirm
	default:
		rec.reason += "; " + rec.dryConfirm
	}
}

// unanswered says that err ended the step while its confirm: question
// waited, so that a timeout or a cancel there is not taken for one that
// cut the operation short; the class stays err's.
func unanswered(err error) error {
	return ops.WithClass(ops.ClassOf(err), fmt.Errorf("%w: while its confirm: question waited for an answer", err))
}

// auditUnrun records a step that its confirm: question kept from running:
// denied (nobody to ask, no answer) or declined. No call of it reaches the
// auditor, yet the audit log has a line for every denied step and for
// every question answered. The line has the decision preflight made and
// the step's error; like any line that cannot be written, it fails the
// step with class system.
func (r *run) auditUnrun(n *node, env map[string]any, rec *record) {
	a := r.p.e.auditor
	if a == nil || rec.err == nil {
		return
	}
	c := &Call{RunID: r.id, Roles: r.o.roles, Step: n.step, Entry: n.step.Entry, Index: -1, run: r, env: env,
		Confirmation: rec.confirmed, Decision: r.o.preflightOf(r.o.prefix + n.step.ID)}
	err := ops.WithClass(ops.Class(rec.err.Class), errors.New(rec.err.Message))
	if aerr := a.Audit(c, nil, err, 0); aerr != nil {
		r.lost.note(aerr)
		rec.setErr(ops.WithClass(ops.ClassSystem, aerr))
		rec.reason = ""
	}
}

// RunConfirmer is a Confirmer that is told which run asks (a sub-run
// asks through its parent's confirmer, so a step id alone is ambiguous)
// and names who gave each answer: the console's questions are answered by
// whoever signed in. The engine calls ConfirmRun instead of Confirm when
// the confirmer has it, and ConfirmRun calls q.Asked once it can take the
// answer, before it waits: the engine announces the question then. An
// error means no answer came (the run was cancelled, say): the step is
// then not run.
type RunConfirmer interface {
	Confirmer
	ConfirmRun(ctx context.Context, q Question) (yes bool, by string, err error)
}

// Question is a confirm: question of a step of a run, its secrets
// masked.
type Question struct {
	RunID string `json:"run_id"`
	Step  string `json:"step"`
	Op    string `json:"op"`
	Text  string `json:"question"`
	// Asked announces the question (the confirm_asked event); see
	// RunConfirmer.
	Asked func() `json:"-"`
}

// Answerer is implemented by a Confirmer that knows who answers its
// questions (an OS user at a terminal, a console user); the name goes into
// the confirm_answered event.
type Answerer interface {
	AnsweredBy() string
}

func answeredBy(c Confirmer) string {
	if a, ok := c.(Answerer); ok {
		return a.AnsweredBy()
	}
	return ""
}
