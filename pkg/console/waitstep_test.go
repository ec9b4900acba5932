package console

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestStepWaitingForAnAnswerHasNoDuration opens a run whose step waits
// for its confirm: question: the step's card gives no time, as a running
// step's gives none, rather than the 0 ms of a step that has not ended,
// which reads as if it had run and finished at once.
func TestStepWaitingForAnAnswerHasNoDuration(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"approve": testPlaybooks["approve"]})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	code, m := s.api("oncall", "POST", "/api/v1/playbooks/approve/runs", map[string]any{"ask": true})
	if code != 202 {
		t.Fatalf("start approve: %d %v", code, m)
	}
	id := m["run_id"].(string)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	meta := `document.querySelector('li.step[data-step=restart][data-status=waiting] .step-meta')`
	waitFor(t, ctx, "the step waiting for its answer", "!!"+meta)
	if got := eval[string](t, ctx, meta+".textContent"); strings.Contains(got, "ms") || strings.Contains(got, " s") {
		t.Errorf("the waiting step's card gives a time: %q", got)
	}
	s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil)
	s.wait(id)
}
