package runs

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestProgressNamesWhatStillRuns: a process that exits at once names the
// steps still running and, in a fan-out, the items of them not finished
// (the hosts whose remote programs may still be running), on its way out
// and in the report it writes from its progress.
func TestProgressNamesWhatStillRuns(t *testing.T) {
	pb, err := steps.Parse("roll.yaml", []byte(`version: 1
name: roll
steps:
  - {id: drain, op: control.noop}
  - {id: restart, op: control.sleep, foreach: '["web-1", "web-2", "web-3"]', with: {duration: 1m}}
  - {id: check, op: control.noop}
`), newRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newProgress(pb, "r1", nil, nil, false)
	now := time.Now()
	ev := func(e engine.Event) {
		e.RunID, e.Time = "r1", now
		p.Event(e)
	}
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "drain", Op: "control.noop"})
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "drain", Status: "succeeded"})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "restart", Op: "control.sleep", Items: 3})
	for i, h := range []string{"web-1", "web-2"} {
		ev(engine.Event{Kind: engine.EventItemStarted, Step: "restart", Index: &i, Label: h})
	}
	two := 2 // a value without a name: its preview
	ev(engine.Event{Kind: engine.EventItemStarted, Step: "restart", Index: &two, Item: "web-3"})
	one := 1
	ev(engine.Event{Kind: engine.EventItemFinished, Step: "restart", Index: &one})

	if diff := cmp.Diff([]string{"restart (control.sleep): items web-1, web-3"}, p.stillRunning()); diff != "" {
		t.Errorf("still running (-want +got):\n%s", diff)
	}
	rep := p.report("interrupted by SIGINT, then by SIGINT")
	st := rep.Steps[1]
	if st.ID != "restart" || st.Error == nil || !strings.Contains(st.Error.Message, "may still be running; items still running: web-1, web-3") || st.Reason != "1 of 3 items had finished" {
		t.Errorf("restart in the report: %+v %+v", st, st.Error)
	}
}

// TestProgressReportKeepsWhatStepsEndedWith: the report a process writes
// from its progress when it must exit at once gives each finished step its
// error class and message, its tries and whether continue_on_error let
// the run go past its failure, as the engine's report does; and a resume
// from it runs the steps that succeeded again, saying why, since it holds
// no output to reuse.
func TestProgressReportKeepsWhatStepsEndedWith(t *testing.T) {
	reg := newRegistry(t)
	pb, err := steps.Parse(filepath.Join(t.TempDir(), "t.yaml"), []byte(`version: 1
name: t
steps:
  - {id: a, op: control.set, with: {v: 1}}
  - {id: ign, op: control.fail, with: {message: not this time}, continue_on_error: true}
  - {id: b, op: control.fail, with: {message: broken}}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	plan := engine.New(reg).Plan(pb)
	p := newProgress(pb, "r1", nil, nil, false)
	if _, err := plan.Run(context.Background(), nil, engine.WithRunID("r1"), engine.WithRunObserver(p)); err != nil {
		t.Fatal(err)
	}
	rep := p.report("interrupted by SIGTERM, then by SIGTERM")
	type got struct {
		Status   report.Status
		Error    *report.Error
		Attempts int
		Ignored  bool
	}
	want := []got{
		{report.StatusSucceeded, nil, 1, false},
		{report.StatusFailed, &report.Error{Class: "execution", Message: "not this time"}, 1, true},
		{report.StatusFailed, &report.Error{Class: "execution", Message: "broken"}, 1, false},
	}
	var have []got
	for _, s := range rep.Steps {
		have = append(have, got{s.Status, s.Error, s.Attempts, s.Ignored})
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("steps of the report from progress (-want +got):\n%s", diff)
	}

	again, err := plan.Run(context.Background(), nil, engine.Resume(rep))
	if err != nil {
		t.Fatal(err)
	}
	if a := again.Steps[0]; a.Reused || a.Status != report.StatusSucceeded || !strings.HasPrefix(a.Reason, "ran again: ") || !strings.Contains(a.Reason, "written from its progress") {
		t.Errorf("a in the resumed run: %s, reused %v, reason %q; want it run again, saying why", a.Status, a.Reused, a.Reason)
	}
}

// TestProgressReportCountsTheAttemptUnderWay: in the report a process
// writes from its progress when it must exit at once, a step cut in the
// middle of an attempt counts it, as the engine's report of a cancelled
// step does: a step without retries made one, a retried one one more than
// its last retry event told (as many while it still waits to try again),
// a fan-out the most any item made; a step whose confirm: question waits
// made none.
func TestProgressReportCountsTheAttemptUnderWay(t *testing.T) {
	pb, err := steps.Parse("t.yaml", []byte(`version: 1
name: t
steps:
  - {id: once, op: control.sleep, with: {duration: 1m}}
  - {id: again, op: control.sleep, retry: {attempts: 5, delay: 1s}, with: {duration: 1m}}
  - {id: waits, op: control.sleep, retry: {attempts: 5, delay: 1h}, with: {duration: 1m}}
  - {id: fan, op: control.sleep, foreach: '[1, 2, 3]', retry: {attempts: 5, delay: 1s}, with: {duration: 1m}}
  - {id: asks, op: control.sleep, confirm: 'sure?', with: {duration: 1m}}
`), newRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newProgress(pb, "r1", nil, nil, false)
	now := time.Now()
	past := now.Add(-time.Hour) // a retry's wait ended long ago
	ev := func(at time.Time, e engine.Event) {
		e.RunID, e.Time = "r1", at
		p.Event(e)
	}
	for _, id := range []string{"once", "again", "waits", "asks"} {
		ev(past, engine.Event{Kind: engine.EventStepStarted, Step: id, Op: "control.sleep"})
	}
	ev(past, engine.Event{Kind: engine.EventRetry, Step: "again", Attempt: 1, DelayMS: 1000})
	ev(past, engine.Event{Kind: engine.EventRetry, Step: "again", Attempt: 2, DelayMS: 1000})
	ev(now, engine.Event{Kind: engine.EventRetry, Step: "waits", Attempt: 2, DelayMS: time.Hour.Milliseconds()})
	ev(past, engine.Event{Kind: engine.EventStepStarted, Step: "fan", Op: "control.sleep", Items: 3})
	i0, i1 := 0, 1
	ev(past, engine.Event{Kind: engine.EventItemStarted, Step: "fan", Index: &i0})
	ev(past, engine.Event{Kind: engine.EventItemStarted, Step: "fan", Index: &i1})
	ev(past, engine.Event{Kind: engine.EventItemFinished, Step: "fan", Index: &i0, Attempts: 2})
	for n := 1; n <= 3; n++ {
		ev(past, engine.Event{Kind: engine.EventRetry, Step: "fan", Index: &i1, Attempt: n, DelayMS: 1000})
	}
	ev(past, engine.Event{Kind: engine.EventConfirmAsked, Step: "asks", Message: "sure?"})

	rep := p.report("interrupted by SIGINT, then by SIGINT")
	got := map[string]int{}
	for _, s := range rep.Steps {
		got[s.ID] = s.Attempts
	}
	want := map[string]int{"once": 1, "again": 3, "waits": 2, "fan": 4, "asks": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attempts in the report from progress (-want +got):\n%s", diff)
	}
}

// TestProgressParenthesisesMatrixLabels: the items still running of a
// matrix, whose labels list values ("linux, 1.26"), are each put in
// parentheses, as GitHub Actions writes a matrix job: joined bare, two
// combinations read as four items.
func TestProgressParenthesisesMatrixLabels(t *testing.T) {
	pb, err := steps.Parse("m.yaml", []byte(`version: 1
name: m
steps:
  - {id: test, op: control.sleep, foreach: {matrix: {os: [linux, darwin], go: ["1.26"]}}, with: {duration: 1m}}
`), newRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newProgress(pb, "r1", nil, nil, false)
	ev := func(e engine.Event) {
		e.RunID, e.Time = "r1", time.Now()
		p.Event(e)
	}
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "test", Op: "control.sleep", Items: 2})
	for i, l := range []string{"linux, 1.26", "darwin, 1.26"} {
		ev(engine.Event{Kind: engine.EventItemStarted, Step: "test", Index: &i, Label: l})
	}
	if diff := cmp.Diff([]string{"test (control.sleep): items (linux, 1.26), (darwin, 1.26)"}, p.stillRunning()); diff != "" {
		t.Errorf("still running (-want +got):\n%s", diff)
	}
}

// TestProgressReportKeepsTheRunsWarnings: the report written from a
// run's progress, when the process must exit at once, keeps the run's
// warnings (its playbook's file changed since it was loaded), as the
// report the engine builds does.
func TestProgressReportKeepsTheRunsWarnings(t *testing.T) {
	pb, err := steps.Parse("roll.yaml", []byte("version: 1\nname: roll\nsteps:\n  - {id: drain, op: control.noop}\n"), newRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newProgress(pb, "r1", nil, nil, false)
	const w = "the playbook's file roll.yaml changed since it was loaded, and this run runs it as loaded"
	p.Event(engine.Event{Kind: engine.EventRunStarted, RunID: "r1", Time: time.Now(), Warnings: []string{w}})
	p.Event(engine.Event{Kind: engine.EventStepStarted, RunID: "r1", Time: time.Now(), Step: "drain", Op: "control.noop"})
	if rep := p.report("interrupted by SIGTERM"); len(rep.Warnings) != 1 || rep.Warnings[0] != w {
		t.Errorf("the report from progress has warnings %q, want the run's", rep.Warnings)
	}
}
