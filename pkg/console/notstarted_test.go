package console

import (
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
	if got := head("quiet"); !strings.Contains(got, "0 ms") {
		t.Errorf("the header of a step its when: skipped: %q, want its time", got)
	}
}
