package engine

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// resumeOnce runs p, which must fail, then resumes the run from its report
// as read back from JSON, with inputs for the resumed run.
func resumeOnce(t *testing.T, p *Plan, inputs map[string]any) (first, second *report.Report) {
	t.Helper()
	first = roundTrip(t, mustRun(t, p, nil))
	if first.Status != report.StatusFailed {
		t.Fatalf("first run: %s %v", first.Status, statuses(first))
	}
	return first, mustRun(t, p, inputs, Resume(first))
}

// ranAgain checks that the resumed run executed step id again, saying why.
func ranAgain(t *testing.T, rep *report.Report, id, why string) {
	t.Helper()
	s := stepOf(t, rep, id)
	if s.Reused || s.Status != report.StatusSucceeded || !strings.HasPrefix(s.Reason, "ran again: ") || !strings.Contains(s.Reason, why) {
		t.Errorf("%s: %s, reused %v, reason %q; want it run again because %s", id, s.Status, s.Reused, s.Reason, why)
	}
}

// A report masks secrets in outputs; a step whose recorded output holds
// the mask runs again, so the steps after it get the secret, not ***.
func TestResumeRerunsStepWhoseOutputWasMasked(t *testing.T) {
	e, to := newEngine(t)
	p := plan(t, e, header+`
inputs:
  token: {type: string, secret: true, default: s3cr3t-value}
steps:
  - {id: mk, op: control.set, with: {url: "https://x/?t=${{ inputs.token }}"}}
  - {id: use, op: test.flaky, with: {key: "${{ steps.mk.output.url }}", fails: 1}}
`)
	_, rep := resumeOnce(t, p, nil)
	ranAgain(t, rep, "mk", "secrets masked")
	if rep.Status != report.StatusSucceeded || to.tries["https://x/?t=s3cr3t-value"] != 2 {
		t.Errorf("resumed run %s; use was called with %v", rep.Status, to.tries)
	}
}

// A report cuts long strings to its size limit; a step whose recorded
// output was cut runs again.
func TestResumeRerunsStepWhoseOutputWasCut(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
steps:
  - {id: big, op: test.spew, with: {size: 100000}}
  - {id: flaky, op: test.flaky, with: {key: k, fails: 1}}
  - {id: check, op: control.assert, with: {that: "${{ len(steps.big.output.stdout) == 100000 }}", message: "stdout was cut"}}
`)
	_, rep := resumeOnce(t, p, nil)
	ranAgain(t, rep, "big", "cut to the report's limits")
	if rep.Status != report.StatusSucceeded {
		t.Errorf("resumed run %s: %v", rep.Status, stepOf(t, rep, "check").Error)
	}
}

// An output compacted over the run's output budget is marked in the
// step's cut; the step runs again.
func TestResumeRerunsStepCutToOutputBudget(t *testing.T) {
	e, _ := newEngine(t, WithOutputBudget(20<<10))
	p := plan(t, e, header+`
steps:
  - {id: big, op: test.spew, with: {size: 30000}}
  - {id: flaky, op: test.flaky, with: {key: k, fails: 1}}
`)
	first, rep := resumeOnce(t, p, nil)
	if stepOf(t, first, "big").Cut == nil {
		t.Fatal("the first run kept big's output whole")
	}
	ranAgain(t, rep, "big", "cut to the run's output budget")
}

// A report keeps the outputs of the first ReportItemsInFull items of a
// fan-out only; a fan-out with more items runs again.
func TestResumeRerunsFanOutPastReportItemsInFull(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
steps:
  - {id: fan, op: control.set, foreach: 0..1000, concurrency: 8, with: {v: "${{ item }}"}}
  - {id: flaky, op: test.flaky, with: {key: k, fails: 1}}
  - {id: check, op: control.assert, with: {that: "${{ steps.fan.output[1000]?.v == 1000 }}", message: "item 1000 lost its output"}}
`)
	_, rep := resumeOnce(t, p, nil)
	ranAgain(t, rep, "fan", "only some of its items")
	if rep.Status != report.StatusSucceeded {
		t.Errorf("resumed run %s: %v", rep.Status, stepOf(t, rep, "check").Error)
	}
}

const chainAfterAssert = header + `
inputs:
  ok: {type: bool, default: true}
steps:
  - {id: a, op: control.assert, with: {that: "${{ inputs.ok }}"}%s}
  - {id: b, op: test.record, with: {label: b}}
  - {id: c, op: test.flaky, with: {key: c, fails: 1}}
`

// A step that succeeded in the resumed run but whose need failed in this
// one is skipped, as in any run, not reused.
func TestResumeSkipsStepWhoseNeedFailed(t *testing.T) {
	e, to := newEngine(t)
	p := plan(t, e, strings.Replace(chainAfterAssert, "%s", "", 1))
	to.order = nil
	_, rep := resumeOnce(t, p, map[string]any{"ok": false})
	b := stepOf(t, rep, "b")
	if b.Status != report.StatusSkipped || b.Reused || b.Reason != "needs a, which failed" || statuses(rep)["c"] != "skipped" {
		t.Errorf("b: %s, reused %v, %q; c: %s", b.Status, b.Reused, b.Reason, statuses(rep)["c"])
	}
}

// A need that failed with continue_on_error lets its dependents run; a
// dependent that ran after the need succeeded in the resumed run is not
// reused when the need fails in this one: it runs again.
func TestResumeRerunsStepWhoseNeedFailedButContinued(t *testing.T) {
	e, to := newEngine(t)
	p := plan(t, e, strings.Replace(chainAfterAssert, "%s", ", continue_on_error: true", 1))
	first := roundTrip(t, mustRun(t, p, nil))
	if statuses(first)["c"] != "failed" {
		t.Fatalf("first run: %v", statuses(first))
	}
	to.order = nil
	rep := mustRun(t, p, map[string]any{"ok": false}, Resume(first))
	ranAgain(t, rep, "b", "needs a, which failed in this run")
	if !slices.Contains(to.order, "b") {
		t.Errorf("executed %v, want b among them", to.order)
	}
}

// A reused step keeps the tries and the time it took in the run that ran
// it: the steps after it read them, and one whose parameters hold them is
// reused too, not run again on a 0 it never had.
func TestResumeKeepsAttemptsAndDurationOfReusedStep(t *testing.T) {
	var mu sync.Mutex
	var finished []Event
	e, to := newEngine(t, WithObserver(ObserverFunc(func(ev Event) {
		if ev.Kind == EventStepFinished && ev.Step == "a" {
			mu.Lock()
			finished = append(finished, ev)
			mu.Unlock()
		}
	})))
	p := plan(t, e, header+`
steps:
  - {id: a, op: test.flaky, with: {key: a, fails: 1}, retry: {attempts: 3, delay: 50ms}}
  - {id: b, op: test.write, env: {TRIES: "${{ steps.a.attempts }}"}}
  - {id: c, op: test.flaky, with: {key: c, fails: 1}}
  - {id: d, op: control.assert, with: {that: "${{ steps.a.attempts == 2 && steps.a.duration >= 0.05 }}", message: "a's attempts or duration were lost"}}
`)
	first, rep := resumeOnce(t, p, nil)
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("resumed run %s:\n%s", rep.Status, dump(rep))
	}
	for _, id := range []string{"a", "b"} {
		if s := stepOf(t, rep, id); !s.Reused {
			t.Errorf("%s was not reused: %q", id, s.Reason)
		}
	}
	if n := to.writes.Load(); n != 1 {
		t.Errorf("b ran %d times, want once", n)
	}
	was, now := stepOf(t, first, "a"), stepOf(t, rep, "a")
	if now.Attempts != 2 || now.DurationMS != was.DurationMS || now.StartedAt != nil {
		t.Errorf("reused a: attempts %d, duration %d ms, started %v; want 2 and %d ms as recorded, not started", now.Attempts, now.DurationMS, now.StartedAt, was.DurationMS)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(finished) != 2 || finished[0].Reused || !finished[1].Reused || finished[1].Attempts != 2 {
		t.Errorf("step_finished of a: %+v; want the second one reused, with 2 attempts", finished)
	}
}

// A reused output is the value the first run had: a whole number stays an
// int, exactly, however large, so the resumed run computes what the first
// would have (float64 % int is an error, and a float64 rounds a 64-bit id).
func TestResumeKeepsWholeNumbersOfReusedOutputs(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
steps:
  - {id: mk, op: control.set, with: {values: {id: "${{ 1733356800123456789 }}", n: 5, f: 2.5}}}
  - {id: gate, op: test.flaky, with: {key: gate, fails: 1}}
  - id: use
    op: control.set
    with:
      values:
        id: "id ${{ steps.mk.output.values.id }}"
        odd: "${{ steps.mk.output.values.n % 2 == 1 }}"
        types: "${{ [type(steps.mk.output.values.n), type(steps.mk.output.values.f)] }}"
`)
	_, rep := resumeOnce(t, p, nil)
	if rep.Status != report.StatusSucceeded || !stepOf(t, rep, "mk").Reused {
		t.Fatalf("resumed run %s:\n%s", rep.Status, dump(rep))
	}
	want := map[string]any{"values": map[string]any{"id": "id 1733356800123456789", "odd": true, "types": []any{"int", "float"}}}
	if diff := cmp.Diff(want, stepOf(t, rep, "use").Output); diff != "" {
		t.Errorf("use's output in the resumed run (-want +got):\n%s", diff)
	}
}

// A fan-out over an empty list, reused by a resume, is still a fan-out:
// its output and items are empty lists, which the steps after it read
// (all() of an empty list is true), not null.
func TestResumeKeepsAnEmptyFanOutAList(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
steps:
  - {id: fan, op: control.set, foreach: "${{ [] }}", with: {values: {x: 1}}}
  - {id: gate, op: test.flaky, with: {key: gate, fails: 1}}
  - id: use
    op: control.set
    with:
      values:
        all: "${{ all(steps.fan.output, .values.x == 1) }}"
        n: "${{ len(steps.fan.items) }}"
`)
	_, rep := resumeOnce(t, p, nil)
	if rep.Status != report.StatusSucceeded || !stepOf(t, rep, "fan").Reused {
		t.Fatalf("resumed run %s:\n%s", rep.Status, dump(rep))
	}
	want := map[string]any{"values": map[string]any{"all": true, "n": 0}}
	if diff := cmp.Diff(want, stepOf(t, rep, "use").Output); diff != "" {
		t.Errorf("use's output in the resumed run (-want +got):\n%s", diff)
	}
}

// A fan-out item whose parameters a resume cannot resolve is named as
// every other message names it, by its label and place, so that the
// reason the step ran again points at the host, not at a number to count.
func TestResumeNamesTheItemWhoseParamsFailByLabel(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
inputs:
  ok: {type: bool, default: true}
steps:
  - {id: fan, op: test.record, foreach: [web-1, web-2], with: {label: '${{ inputs.ok || item == "web-1" ? item : int(item) }}'}}
  - {id: gate, op: test.flaky, needs: [fan], with: {key: gate, fails: 1}}
`)
	_, rep := resumeOnce(t, p, map[string]any{"ok": false})
	s := stepOf(t, rep, "fan")
	if want := "could not be resolved to compare with run "; s.Reused || !strings.Contains(s.Reason, want) {
		t.Fatalf("fan: reused %v, reason %q; want one that says %q", s.Reused, s.Reason, want)
	}
	if want := ": item web-2 (#1): "; !strings.Contains(s.Reason, want) {
		t.Errorf("fan's reason %q does not name the item as %q", s.Reason, want)
	}
}

// yesToAll answers every question yes and counts the questions.
type yesToAll struct{ asked atomic.Int32 }

func (y *yesToAll) Confirm(context.Context, string, string) (bool, error) {
	y.asked.Add(1)
	return true, nil
}

// A step that ran, confirmed, after a need that failed and was excused is
// reused when that need fails again in the resume: it ran after that
// failure then, as it would now, so it is neither run nor asked again.
func TestResumeReusesConfirmedStepWhoseNeedFailedThenToo(t *testing.T) {
	yes := &yesToAll{}
	e, to := newEngine(t, WithConfirmer(yes))
	p := plan(t, e, header+`
inputs:
  ok: {type: bool, default: false}
steps:
  - {id: a, op: control.assert, with: {that: "${{ inputs.ok }}"}, continue_on_error: true}
  - {id: b, op: test.record, needs: [a], with: {label: b}, confirm: "go on?"}
  - {id: c, op: test.flaky, with: {key: c, fails: 1}}
`)
	first := roundTrip(t, mustRun(t, p, nil))
	if st := statuses(first); st["a"] != "failed" || st["b"] != "succeeded" || st["c"] != "failed" || yes.asked.Load() != 1 {
		t.Fatalf("first run: %v, asked %d", st, yes.asked.Load())
	}
	to.order = nil
	rep := mustRun(t, p, nil, Resume(first))
	if b := stepOf(t, rep, "b"); !b.Reused || rep.Status != report.StatusSucceeded {
		t.Errorf("b: %s, reused %v, %q; run %s", b.Status, b.Reused, b.Reason, rep.Status)
	}
	if slices.Contains(to.order, "b") || yes.asked.Load() != 1 {
		t.Errorf("executed %v, asked %d times in all; want b reused, asked once", to.order, yes.asked.Load())
	}
}
