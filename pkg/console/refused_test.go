package console

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRunPageStepRefusedWhenItRan: a step whose operation the role's rule
// allowed but whose path was refused when it ran (file.write outside the
// role's file_roots) reads denied when it ran, naming the rule that
// allowed the operation, and does not repeat the error as its reason.
func TestRunPageStepRefusedWhenItRan(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"refused": `version: 1
name: refused
inputs:
  target: {type: string, required: true}
steps:
  - {id: write, op: file.write, with: {path: "${{ inputs.target }}", content: x}}
`})
	dir := t.TempDir()
	s.usePolicy(t, dir, "version: 1\nroles:\n  admin: {max_risk: destructive}\n  operator: {max_risk: write, file_roots: ["+filepath.Join(dir, "app")+"]}\n  viewer: {max_risk: read}\n")
	id := s.start("oncall", "refused", map[string]any{"target": filepath.Join(dir, "elsewhere.txt")})
	rep := s.wait(id)
	st := rep.Steps[0]
	if a := st.Authorization; st.Status != report.StatusDenied || st.Error == nil || st.Error.Class != report.ClassAuthorization || a == nil || a.Allowed || !a.DeniedWhenRun {
		t.Fatalf("the step: %+v, want it denied when it ran", st)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the step's card", `!!document.querySelector('li.step[data-step=write] dl.facts')`)
	facts := eval[string](t, ctx, `[...document.querySelectorAll('li.step[data-step=write] dl.facts dt')].map(dt => dt.textContent + ': ' + dt.nextElementSibling.textContent).join('\n')`)
	want := "Authorization: denied when it ran: " + st.Authorization.Rule + " allowed the operation, but what it was given was refused (the error below)"
	if !strings.Contains(facts, want) {
		t.Errorf("the step's facts:\n%s\nwant %q", facts, want)
	}
	if strings.Contains(facts, "Reason:") {
		t.Errorf("the step's facts repeat its error as the reason:\n%s", facts)
	}
}

// TestRunPageItemRefusedWhenItRanLive: a fan-out item refused when it
// ran reads "denied when it ran" on its row while the run goes on, from
// its item_finished, not only once the final report loads: the page is
// open before the items run.
func TestRunPageItemRefusedWhenItRanLive(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"fanrefused": `version: 1
name: fanrefused
inputs:
  targets: {type: list, required: true}
steps:
  - {id: gate, op: control.noop, confirm: "Write the files?"}
  - {id: write, op: file.write, foreach: "${{ inputs.targets }}", with: {path: "${{ item }}", content: x}, fail_fast: false}
  - {id: hold, op: control.sleep, with: {duration: 1h}, needs: []}
`})
	dir := t.TempDir()
	app := filepath.Join(dir, "app")
	if err := os.Mkdir(app, 0o755); err != nil {
		t.Fatal(err)
	}
	s.usePolicy(t, dir, "version: 1\nroles:\n  admin: {max_risk: destructive}\n  operator: {max_risk: write, file_roots: ["+app+"]}\n  viewer: {max_risk: read}\n")
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	code, m := s.api("oncall", "POST", "/api/v1/playbooks/fanrefused/runs", map[string]any{"inputs": map[string]any{"targets": []any{filepath.Join(app, "ok.txt"), filepath.Join(dir, "elsewhere.txt")}}, "ask": true})
	if code != 202 {
		t.Fatalf("start: %d %v", code, m)
	}
	id := m["run_id"].(string)
	t.Cleanup(func() { s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil) })
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	// The items run once the page follows the run's events.
	waitFor(t, ctx, "the question", `!!document.querySelector('section.questions:not([hidden]) button')`)
	if code, body := s.api("oncall", "POST", "/api/v1/runs/"+id+"/confirm", map[string]any{"step": "gate", "answer": "yes"}); code != 200 {
		t.Fatalf("answering the question: %d %v", code, body)
	}
	row := `document.querySelector('li.step[data-step=write] tr[data-item="1"]')`
	waitFor(t, ctx, "the denied item's row", `!!`+row+` && /denied/.test(`+row+`.textContent)`)
	if st := eval[string](t, ctx, `document.querySelector('.run-status').textContent`); !strings.Contains(st, "running") {
		t.Fatalf("the run is %q, want it still running", st)
	}
	got := eval[string](t, ctx, row+`.querySelector('td[data-label="Error or output"]').textContent`)
	if !strings.HasPrefix(got, "denied when it ran: ") || !strings.Contains(got, "outside the allowed file roots") {
		t.Errorf("the denied item's row while the run goes on says %q, want denied when it ran and the refusal", got)
	}
}
