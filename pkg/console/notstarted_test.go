package console

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRunPageStepNeverStartedHasNoTime: as in the run's summary, a step
// that never started (the on_success handler of a run that failed) has
// no time in its card's header, not the 0 ms its report records, while a
// step that began and was skipped by its when: keeps its time, as in a
// sub-run's list of steps.
func TestRunPageStepNeverStartedHasNoTime(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"handlers": `version: 1
name: handlers
steps:
  - {id: quiet, op: control.log, when: "false", with: {message: hi}}
  - {id: call, op: playbook.run, with: {path: handlers.yaml}, when: "false"}
  - {id: boom, op: control.fail, with: {message: boom}}
on_success:
  - {id: celebrate, op: control.noop}
`, "outer": `version: 1
name: outer
steps:
  - {id: call, op: playbook.run, with: {path: handlers.yaml}}
`})
	id := s.start("oncall", "outer", nil)
	rep := s.wait(id)
	sub := rep.Steps[0].Sub
	if sub == nil || len(sub.Steps) != 4 || sub.Steps[3].StartedAt != nil || sub.Steps[0].StartedAt == nil {
		t.Fatalf("the sub-run's steps: %+v", sub)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the sub-run's steps", `document.querySelectorAll('li.sub-step').length === 4`)
	got := eval[string](t, ctx, `[...document.querySelectorAll('li.sub-step')].map((li) => li.dataset.step + ':' + li.querySelector('.sub-step-head').textContent).join(' | ')`)
	for _, part := range strings.Split(got, " | ") {
		id, head, _ := strings.Cut(part, ":")
		if ran := id != "celebrate"; strings.Contains(head, " ms") != ran {
			t.Errorf("sub-run step %s's header %q: want a time %v", id, head, ran)
		}
	}

	id = s.start("oncall", "handlers", nil)
	if rep := s.wait(id); rep.Status != report.StatusFailed {
		t.Fatalf("the run: %s", rep.Status)
	}
	do(t, ctx, "open the other run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the handler's card", `!!document.querySelector('li.step[data-step=celebrate][data-status=skipped]')`)
	head := func(step string) string {
		return eval[string](t, ctx, `document.querySelector('li.step[data-step=`+step+`] .step-meta').textContent`)
	}
	if got := head("celebrate"); strings.Contains(got, "ms") {
		t.Errorf("the header of a handler that never started: %q, want no time", got)
	}
	// Its time is what the when: took: 0 ms, or more on a busy machine.
	if got := head("quiet"); !regexp.MustCompile(`\b\d+ ms\b`).MatchString(got) {
		t.Errorf("the header of a step its when: skipped: %q, want its time", got)
	}
}

// TestRunPageItemNeverStartedSaysSo: a fan-out item that never started
// (fail_fast stopped the rollout before its turn) shows the reason, "not
// started: …", in its row, as the run's summary and history show do, and
// so does its line in a sub-run; the item that failed shows its error.
func TestRunPageItemNeverStartedSaysSo(t *testing.T) {
	b := browser(t, 2*time.Minute)
	rollout := `
  - id: restart
    op: shell.exec
    foreach: '["web-1", "web-2", "web-3"]'
    env: {HOST: "${{ item }}"}
    with: {script: '[ "$HOST" != web-2 ]'}
`
	s := startSite(t, map[string]string{
		"rollout": "version: 1\nname: rollout\nsteps:" + rollout,
		"outer":   "version: 1\nname: outer\nsteps:\n  - {id: call, op: playbook.run, with: {path: rollout.yaml}, continue_on_error: true}" + rollout,
	})
	id := s.start("oncall", "outer", nil)
	rep := s.wait(id)
	web3 := rep.Steps[1].Items[2]
	if web3.StartedAt != nil || !strings.HasPrefix(web3.Reason, "not started: ") {
		t.Fatalf("web-3 was not cancelled before its turn: %+v", web3)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the items table", `document.querySelectorAll('li.step[data-step=restart] tr[data-item]').length === 3`)
	rows := eval[[]string](t, ctx, `[...document.querySelectorAll('li.step[data-step=restart] tr[data-item] td[data-label="Error or output"]')].map((td) => td.textContent)`)
	if rows[2] != web3.Reason {
		t.Errorf("web-3's row says %q, want %q", rows[2], web3.Reason)
	}
	if !strings.Contains(rows[1], "exit code 1") {
		t.Errorf("web-2's row says %q, want its error", rows[1])
	}
	subs := eval[[]string](t, ctx, `[...document.querySelectorAll('li.sub-item')].map((li) => li.textContent)`)
	if len(subs) == 0 || !strings.Contains(subs[len(subs)-1], "web-3 not started: ") {
		t.Errorf("the sub-run's items: %q, want web-3's to say it never started", subs)
	}
}

// TestRunPageMarksARescuedStep: a step that failed and whose rescue steps
// recovered the run is marked rescued in its card, as the run's summary
// and the HTML report mark it, rather than a plain failure in a run that
// succeeded.
func TestRunPageMarksARescuedStep(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"rescue": `version: 1
name: rescue
steps:
  - id: migrate
    op: control.fail
    with: {message: migration 42 failed}
    rescue:
      - {id: restore, op: control.noop}
`})
	id := s.start("oncall", "rescue", nil)
	if rep := s.wait(id); rep.Status != report.StatusSucceeded || !rep.Steps[0].Rescued {
		t.Fatalf("the run: %s, %+v", rep.Status, rep.Steps[0])
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the step's card", `!!document.querySelector('li.step[data-step=migrate] dl.facts')`)
	if got := eval[string](t, ctx, `document.querySelector('li.step[data-step=migrate] .step-meta').textContent`); !strings.Contains(got, "rescued") {
		t.Errorf("the rescued step's header: %q, want it marked rescued", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('li.step[data-step=migrate] dl.facts').textContent`); !strings.Contains(got, "its rescue steps recovered the run") {
		t.Errorf("the rescued step's facts: %q", got)
	}
}

// TestRunPageLiveStepOfNoTimeKeepsIt: while the run goes on, a step that
// took less than a millisecond shows "0 ms" in its header, as the summary
// of run and the page of the ended run do: its step_finished event,
// which leaves a duration of 0 out, does not wipe the time the run's
// snapshot gave it.
func TestRunPageLiveStepOfNoTimeKeepsIt(t *testing.T) {
	b := browser(t, 2*time.Minute)
	// The step after waits for a gate that the test opens once it has
	// read the page: a page slow to open (a loaded machine) would
	// otherwise come after the run's end, and read the ended run's time.
	gate := filepath.Join(t.TempDir(), "gate")
	s := startSite(t, map[string]string{"quick": `version: 1
name: quick
steps:
  - {id: quick, op: control.noop}
  - {id: wait, op: shell.exec, with: {script: "echo waiting; while [ ! -e ` + gate + ` ]; do sleep 0.05; done"}}
`})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "quick", nil)
	t.Cleanup(func() { os.WriteFile(gate, nil, 0o644) }) // a failed test does not leave the run waiting
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	// The line comes after quick's step_finished in the event stream.
	waitFor(t, ctx, "the line of the step after", `(() => { const l = document.querySelector('li.step[data-step=wait] pre.log'); return !!l && !l.hidden; })()`)
	if st := eval[string](t, ctx, `document.querySelector('.run-status').textContent`); !strings.Contains(st, "running") {
		t.Fatalf("the run is %q, want it still running", st)
	}
	if got := eval[string](t, ctx, `document.querySelector('li.step[data-step=quick] .step-meta').textContent`); !strings.Contains(got, " ms") {
		t.Errorf("the header of a step that took no time, while the run goes on: %q, want its time", got)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if rep := s.wait(id); rep.Status != report.StatusSucceeded {
		t.Errorf("the run: %s", rep.Status)
	}
}

// TestSubRunMarksARescuedStep: in a sub-run's list of steps, a step whose
// rescue steps recovered the sub-run is marked rescued, and one its own
// continue_on_error let go on is marked ignored, as the summary of run
// marks their rows, rather than plain failures in a sub-run that
// succeeded.
func TestSubRunMarksARescuedStep(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"inner": `version: 1
name: inner
steps:
  - id: migrate
    op: control.fail
    with: {message: migration 42 failed}
    rescue:
      - {id: restore, op: control.noop}
  - {id: optional, op: control.fail, continue_on_error: true, with: {message: no cache to warm}}
`, "outer": `version: 1
name: outer
steps:
  - {id: call, op: playbook.run, with: {path: inner.yaml}}
`})
	id := s.start("oncall", "outer", nil)
	if rep := s.wait(id); rep.Status != report.StatusSucceeded {
		t.Fatalf("the run: %s", rep.Status)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the sub-run's steps", `document.querySelectorAll('li.sub-step').length === 3`)
	head := func(step string) string {
		return eval[string](t, ctx, `document.querySelector('li.sub-step[data-step=`+step+`] .sub-step-head').textContent`)
	}
	if got := head("migrate"); !strings.Contains(got, "rescued") {
		t.Errorf("the rescued sub-run step's header: %q, want it marked rescued", got)
	}
	if got := head("optional"); !strings.Contains(got, "ignored (continue_on_error)") {
		t.Errorf("the ignored sub-run step's header: %q, want it marked ignored", got)
	}
}
