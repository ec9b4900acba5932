package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// byName answers every question yes as one person, and remembers the
// questions it was asked.
type byName struct {
	mu    sync.Mutex
	asked []Question
	// announced counts the confirm_asked events seen; before records it
	// as each question came in, after as its Asked returned.
	announced     func() int
	before, after []int
}

func (b *byName) Confirm(ctx context.Context, step, question string) (bool, error) {
	yes, _, err := b.ConfirmRun(ctx, Question{Step: step, Text: question})
	return yes, err
}

func (b *byName) ConfirmRun(_ context.Context, q Question) (bool, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asked = append(b.asked, q)
	if b.announced != nil {
		b.before = append(b.before, b.announced())
	}
	if q.Asked != nil {
		q.Asked()
		q.Asked() // announced once, however often it is called
	}
	if b.announced != nil {
		b.after = append(b.after, b.announced())
	}
	return q.Step == "a", "alice", nil
}

// TestRunConfirmerRecordsWhoAnswered: a RunConfirmer is asked with the
// run's id and the masked question; who answered goes into the
// confirm_answered event and the step's confirmation in the report, for a
// yes and for a no.
func TestRunConfirmerRecordsWhoAnswered(t *testing.T) {
	var mu sync.Mutex
	var answered []Event
	asked := 0
	c := &byName{announced: func() int { mu.Lock(); defer mu.Unlock(); return asked }}
	e, _ := newEngine(t, WithConfirmer(c))
	obs := ObserverFunc(func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		switch ev.Kind {
		case EventConfirmAnswered:
			answered = append(answered, ev)
		case EventConfirmAsked:
			asked++
		}
	})
	rep := mustRun(t, plan(t, e, header+`
inputs:
  token: {type: string, secret: true, default: hunter2}
steps:
  - {id: a, op: control.noop, confirm: "Use ${{ inputs.token }}?"}
  - {id: b, op: control.noop, confirm: "And b?"}
`), nil, WithRunObserver(obs))
	want := []Question{{RunID: rep.RunID, Step: "a", Op: "control.noop", Text: "Use ***?"}, {RunID: rep.RunID, Step: "b", Op: "control.noop", Text: "And b?"}}
	if diff := cmp.Diff(want, c.asked, cmpopts.IgnoreFields(Question{}, "Asked")); diff != "" {
		t.Errorf("questions (-want +got):\n%s", diff)
	}
	// confirm_asked comes when the confirmer says it can take the
	// answer, not before: whoever reacts to it finds the question open.
	if diff := cmp.Diff([]int{0, 1}, c.before); diff != "" {
		t.Errorf("confirm_asked events seen as each question came in (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 2}, c.after); diff != "" {
		t.Errorf("confirm_asked events seen once each was announced (-want +got):\n%s", diff)
	}
	ignoreAt := cmpopts.IgnoreFields(report.Confirmation{}, "At")
	if diff := cmp.Diff(&report.Confirmation{Question: "Use ***?", Answer: "yes", By: "alice"}, stepOf(t, rep, "a").Confirmation, ignoreAt); diff != "" {
		t.Errorf("step a's confirmation (-want +got):\n%s", diff)
	}
	b := stepOf(t, rep, "b")
	if diff := cmp.Diff(&report.Confirmation{Question: "And b?", Answer: "no", By: "alice"}, b.Confirmation, ignoreAt); diff != "" {
		t.Errorf("step b's confirmation (-want +got):\n%s", diff)
	}
	if b.Status != report.StatusCancelled || stepOf(t, rep, "a").Confirmation.At.IsZero() {
		t.Errorf("step b %s; a answered at %v", b.Status, stepOf(t, rep, "a").Confirmation.At)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(answered) != 2 || answered[0].By != "alice" || answered[0].Answer != "yes" || answered[1].Answer != "no" {
		t.Errorf("confirm_answered events: %+v", answered)
	}
}

// slowClock is the wall clock, set forward by the answerer's wait.
type slowClock struct {
	mu   sync.Mutex
	skew time.Duration
}

func (c *slowClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}
func (c *slowClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
func (c *slowClock) wait(d time.Duration)                   { c.mu.Lock(); c.skew += d; c.mu.Unlock() }

// thinker answers yes after thinking for ten minutes of clock.
type thinker struct{ clock *slowClock }

func (t thinker) Confirm(context.Context, string, string) (bool, error) {
	t.clock.wait(10 * time.Minute)
	return true, nil
}

// TestConfirmWaitIsNotTheStepsTime: the time a person takes to answer a
// confirm: question is not the step's duration (which feeds the latency
// figures of stats); the step starts when the answer came.
func TestConfirmWaitIsNotTheStepsTime(t *testing.T) {
	clock := &slowClock{}
	e, _ := newEngine(t, WithConfirmer(thinker{clock}), WithClock(clock))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: a, op: control.noop, confirm: "Go?"}
`), nil)
	s := rep.Steps[0]
	if s.Status != report.StatusSucceeded || s.DurationMS > 60_000 {
		t.Errorf("step: %s, %d ms; want succeeded in well under the ten minutes of the wait", s.Status, s.DurationMS)
	}
	if s.Confirmation == nil || s.StartedAt.Before(s.Confirmation.At) {
		t.Errorf("step started %s, answered %+v; want it started once answered", s.StartedAt, s.Confirmation)
	}
}

// audited keeps what an auditor is told of each step: its outcome's class
// and the answer its confirm: question got.
type audited struct {
	mu    sync.Mutex
	lines []string
	fail  error // returned by every Audit when set
}

func (a *audited) Audit(c *Call, _ map[string]any, err error, _ time.Duration) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	line := c.Step.ID + " " + string(ops.ClassOf(err))
	if err == nil {
		line = c.Step.ID + " ok"
	}
	if c.Confirmation != nil {
		line += " answer=" + c.Confirmation.Answer
	}
	if c.Decision != nil {
		line += " rule=" + c.Decision.Rule
	}
	a.lines = append(a.lines, line)
	return a.fail
}

// TestConfirmStopsAreAudited: a step its confirm: question keeps from
// running has an audit line like any denied step: denied when nobody can
// be asked (a scheduled run, no terminal), cancelled when a person says
// no. No call of it reaches the auditor otherwise.
func TestConfirmStopsAreAudited(t *testing.T) {
	src := header + `
steps:
  - {id: a, op: control.noop, confirm: "Go?"}
  - {id: b, op: control.noop, confirm: "And b?"}
`
	audit := &audited{}
	e, _ := newEngine(t, WithAuditor(audit))
	decisions := map[string]report.Decision{"a": {Allowed: true, Rule: "role admin: allow *"}, "b": {Allowed: true, Rule: "role admin: allow *"}}
	rep := mustRun(t, plan(t, e, src), nil, WithPreflight(decisions))
	if got := statuses(rep); got["a"] != report.StatusDenied {
		t.Fatalf("statuses %v; want a denied", got)
	}
	want := []string{"a authorization rule=role admin: allow *"} // b is not reached
	if diff := cmp.Diff(want, audit.lines); diff != "" {
		t.Errorf("audited without anyone to ask (-want +got):\n%s", diff)
	}

	audit = &audited{}
	e, _ = newEngine(t, WithAuditor(audit), WithConfirmer(&byName{}))
	mustRun(t, plan(t, e, src), nil)
	want = []string{"a ok answer=yes", "b declined answer=no"}
	if diff := cmp.Diff(want, audit.lines); diff != "" {
		t.Errorf("audited with answers (-want +got):\n%s", diff)
	}

	// A line that cannot be written fails the step, as for a call.
	audit = &audited{fail: errors.New("disk full")}
	e, _ = newEngine(t, WithAuditor(audit))
	rep = mustRun(t, plan(t, e, src), nil)
	if s := stepOf(t, rep, "a"); s.Status != report.StatusFailed || s.Error == nil || s.Error.Class != string(ops.ClassSystem) {
		t.Errorf("step a with an unwritable audit log: %s %+v; want failed, class system", s.Status, s.Error)
	}
}

// nobodyAnswers asks and waits: nobody answers before the run's context
// ends.
type nobodyAnswers struct{}

func (nobodyAnswers) Confirm(ctx context.Context, _, _ string) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
}

// TestConfirmUnansweredWhenTimeRunsOut: a playbook timeout that runs out
// while a confirm: question waits ends the question without an answer:
// confirm_answered says nobody answered (no "no" that nobody gave), and
// the step's error says the question was waiting, not that the operation
// was cut short.
func TestConfirmUnansweredWhenTimeRunsOut(t *testing.T) {
	var mu sync.Mutex
	var answered []Event
	obs := ObserverFunc(func(ev Event) {
		if ev.Kind == EventConfirmAnswered {
			mu.Lock()
			defer mu.Unlock()
			answered = append(answered, ev)
		}
	})
	e, _ := newEngine(t, WithConfirmer(nobodyAnswers{}))
	rep := mustRun(t, plan(t, e, header+`
timeout: 50ms
steps:
  - {id: a, op: control.noop, confirm: "Go?"}
`), nil, WithRunObserver(obs))
	a := stepOf(t, rep, "a")
	if a.Status != report.StatusFailed || a.Error == nil || a.Error.Class != string(ops.ClassTimeout) ||
		a.Error.Message != "playbook timeout of 50ms exceeded: while its confirm: question waited for an answer" {
		t.Errorf("step a: %s %+v; want failed with class timeout, saying its question waited", a.Status, a.Error)
	}
	if a.Confirmation != nil {
		t.Errorf("step a's confirmation %+v; want none: nobody answered", a.Confirmation)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(answered) != 1 || answered[0].Answer != "" || answered[0].By != "" {
		t.Errorf("confirm_answered events: %+v; want one, with no answer", answered)
	}
}
