package engine

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestNotifyTextThatFailsSendsTheSummary: a failure notification whose
// text quotes a step that never ran (its output is null on the very
// failure it reports) is sent with the run summary in its place, saying
// so, and fails naming the expression; before, nothing was sent and the
// on-call heard nothing of the failed run. An entry whose url fails is
// not sent, and the run's status stays the steps'.
func TestNotifyTextThatFailsSendsTheSummary(t *testing.T) {
	n := &notifier{}
	to := newTestOps()
	e := New(registry(t, to.register, n.register))
	p := plan(t, e, header+`
steps:
  - {id: deploy, op: control.assert, with: {that: "${{ false }}", message: "rollout stuck"}}
  - {id: check, op: control.noop, needs: [deploy]}
notify:
  - id: page
    on: [failure]
    webhook: {url: "https://hooks.example/T0", title: "deploy", text: "check said ${{ steps.check.output.result }}"}
  - id: nowhere
    on: [failure]
    webhook: {url: "${{ steps.check.output.url }}", text: "x"}
`)
	rep := mustRun(t, p, nil, WithRunID("r1"))
	if rep.Status != report.StatusFailed || rep.Error == nil || !strings.Contains(rep.Error.Message, "rollout stuck") {
		t.Errorf("run %s, error %+v", rep.Status, rep.Error)
	}
	if len(n.sent) != 1 {
		t.Fatalf("%d notifications sent, want 1: %v", len(n.sent), n.sent)
	}
	got := n.sent[0]
	if text := got.String("text"); !strings.HasPrefix(text, "Run r1 of t failed; failed steps: deploy.") ||
		!strings.Contains(text, "the text of notify entry page could not be computed") {
		t.Errorf("text %q", text)
	}
	if got.String("title") != "deploy" {
		t.Errorf("title %q: a title that was computed is kept", got.String("title"))
	}
	page := stepOf(t, rep, "page")
	if page.Status != report.StatusFailed || page.Reason != report.SummarySent || page.Error == nil ||
		page.Error.Class != string(ops.ClassValidation) || !strings.Contains(page.Error.Message, "steps.check.output") {
		t.Errorf("page: %s, reason %q, error %+v", page.Status, page.Reason, page.Error)
	}
	nowhere := stepOf(t, rep, "nowhere")
	if nowhere.Status != report.StatusFailed || nowhere.Reason == report.SummarySent || nowhere.Error == nil ||
		!strings.Contains(nowhere.Error.Message, "steps.check.output") {
		t.Errorf("nowhere: %s, reason %q, error %+v", nowhere.Status, nowhere.Reason, nowhere.Error)
	}
	var b strings.Builder
	if err := report.WriteText(&b, rep); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(b.String(), "\n")
	if !strings.Contains(first, "not sent: notify nowhere") || !strings.Contains(first, "sent the run summary for want of their own text: notify page") {
		t.Errorf("summary line %q", first)
	}
}
