package console

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/server"
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
	policy, err := auth.ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte("version: 1\nroles:\n  admin: {max_risk: destructive}\n  operator: {max_risk: write, file_roots: ["+filepath.Join(dir, "app")+"]}\n  viewer: {max_risk: read}\n"), s.mgr.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	ks, err := server.ParseKeys("keys.yaml", []byte(s.keysFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.srv.Reload(server.State{Keys: ks, Policy: policy, Playbooks: s.pbs}); err != nil {
		t.Fatal(err)
	}
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
