package runs

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// grantFixture is a runbook that role oncall runs only through a grant
// as ops, in a state dir: pick names a file, show reads it with the
// grant's file roots.
type grantFixture struct {
	dir, runbook, status, secret string
	m                            *Manager
}

func newGrantFixture(t *testing.T) *grantFixture {
	t.Helper()
	f := &grantFixture{dir: t.TempDir()}
	for _, d := range []string{"oncall", "area", "secret"} {
		if err := os.MkdirAll(filepath.Join(f.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.status = filepath.Join(f.dir, "area", "status.txt")
	f.secret = filepath.Join(f.dir, "secret", "shadow")
	if err := os.WriteFile(f.secret, []byte("ADMIN-ONLY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.runbook = filepath.Join(f.dir, "runbook.yaml")
	src := `version: 1
name: peek
steps:
  - {id: pick, op: control.set, with: {path: ` + f.status + `}}
  - {id: show, op: file.read, with: {path: "${{ steps.pick.output.path }}"}}
`
	if err := os.WriteFile(f.runbook, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := newRegistry(t)
	pb, err := steps.Load(f.runbook, reg)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := auth.ParsePolicy(filepath.Join(f.dir, "policy.yaml"), []byte(`version: 1
roles:
  oncall:
    allow: [control.*]
    file_roots: [`+filepath.Join(f.dir, "oncall")+`]
    playbooks: [{path: runbook.yaml, sha256: "`+pb.SHA256+`", as: ops}]
  ops:
    allow: [file.*, control.*]
    file_roots: [`+f.dir+`]
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	f.m = newManager(t, Config{Registry: reg, Policy: policy, StateDir: filepath.Join(f.dir, "st")}, Limits{})
	return f
}

func (f *grantFixture) start(t *testing.T, req Request) (*Handle, *report.Report) {
	t.Helper()
	req.Path, req.Caller = f.runbook, Caller{Roles: []string{"oncall"}, Name: "tester"}
	h, err := f.m.Start(context.Background(), req)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return h, wait(t, h)
}

// failedRun runs the runbook once while its status file is missing: a
// failed run whose report arsenal-run signed.
func (f *grantFixture) failedRun(t *testing.T) *report.Report {
	t.Helper()
	_, rep := f.start(t, Request{})
	if rep.Status != report.StatusFailed {
		t.Fatalf("first run %s, want failed", rep.Status)
	}
	return rep
}

// forge writes rep with pick's output pointing at the secret and without
// a signature, as a caller who cannot read the state dir's key could.
func (f *grantFixture) forge(t *testing.T, rep *report.Report) string {
	t.Helper()
	forged := *rep
	forged.Steps = append([]report.Step(nil), rep.Steps...)
	forged.Steps[0].Output = map[string]any{"path": f.secret}
	forged.Signature = ""
	data, err := json.Marshal(&forged)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(f.dir, "oncall", "forged.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUntrustedResumeUnderGrantRefusesDryRun: a dry run executes read
// operations, so a delegated dry run that resumes from a report
// arsenal-run cannot vouch for is refused as a real run is, before
// anything runs, and nothing reads where the report points.
func TestUntrustedResumeUnderGrantRefusesDryRun(t *testing.T) {
	f := newGrantFixture(t)
	forged := f.forge(t, f.failedRun(t))
	for _, dry := range []bool{false, true} {
		h, rep := f.start(t, Request{ResumeFrom: forged, DryRun: dry})
		if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != string(ops.ClassAuthorization) {
			t.Fatalf("dry run %v: status %s, error %+v; want failed by authorization", dry, rep.Status, rep.Error)
		}
		if rep.DryRun != dry {
			t.Errorf("dry run %v: the report says dry_run %v", dry, rep.DryRun)
		}
		for _, st := range rep.Steps {
			if st.Output != nil {
				t.Errorf("dry run %v: step %s ran: %v", dry, st.ID, st.Output)
			}
		}
		show := rep.Steps[1]
		if show.Status != report.StatusDenied || !strings.Contains(show.Reason, "resumes only from a report arsenal-run recorded itself") {
			t.Errorf("dry run %v: show is %s (%s), want denied by the resume rule", dry, show.Status, show.Reason)
		}
		if !strings.Contains(h.Refusal(), "cannot be verified") {
			t.Errorf("dry run %v: refusal %q", dry, h.Refusal())
		}
	}
}

// TestUntrustedResumeDropsGrant: a resume arsenal-run cannot vouch for
// never leaves the grant on the run's subject, so that even a step the
// preflight did not see is decided by the caller's own roles.
func TestUntrustedResumeDropsGrant(t *testing.T) {
	f := newGrantFixture(t)
	pb, err := steps.Load(f.runbook, f.m.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	policy := f.m.Service().Policy()
	subject, err := policy.Subject([]string{"oncall"}, pb)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := policy.Preflight([]string{"oncall"}, pb, f.m.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	res := &resumed{rep: &report.Report{}, file: "forged.json", why: "the report has no signature"}
	_, subj, refusal := checkResumeTrust(res, ds, subject)
	if refusal == "" {
		t.Fatal("no refusal")
	}
	if d := subj.Decide("file.read", ops.RiskRead); d.Allowed {
		t.Errorf("file.read is still allowed, via %s", d.Via)
	}
}

// TestTrustedResumeUnderGrant: a report arsenal-run signed resumes under
// the grant, by run id.
func TestTrustedResumeUnderGrant(t *testing.T) {
	f := newGrantFixture(t)
	first := f.failedRun(t)
	if err := os.WriteFile(f.status, []byte("all good\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, rep := f.start(t, Request{ResumeFrom: first.RunID})
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("resumed run %s: %+v (refusal %q)", rep.Status, rep.Error, h.Refusal())
	}
	out, _ := rep.Steps[1].Output.(map[string]any)
	if out["content"] != "all good\n" || !strings.Contains(rep.Steps[1].Authorization.Via, "grant") {
		t.Errorf("show: %v by %+v", out, rep.Steps[1].Authorization)
	}
}

// TestSelectionUnderGrantRefused: a grant is for the whole runbook, so a
// run under it may not pick its steps and skip its guards, not even with
// a report arsenal-run signed.
func TestSelectionUnderGrantRefused(t *testing.T) {
	f := newGrantFixture(t)
	first := f.failedRun(t)
	for _, req := range []Request{
		{Selection: engine.Selection{Only: []string{"show"}}},
		{Selection: engine.Selection{From: "show"}, ResumeFrom: first.RunID},
		{Selection: engine.Selection{Only: []string{"show"}}, DryRun: true},
	} {
		req.Path, req.Caller = f.runbook, Caller{Roles: []string{"oncall"}}
		_, err := f.m.Start(context.Background(), req)
		var pe *PrepareError
		if !errors.As(err, &pe) || pe.Field != "selection" {
			t.Fatalf("%s: err %v, want a selection error", req.Selection, err)
		}
		for _, want := range []string{"step show (file.read) is allowed only through a policy grant", "a grant is for the whole runbook", "--resume RUN_ID"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q lacks %q", req.Selection, err, want)
			}
		}
	}
	// A caller whose own roles allow every step may pick them (resuming
	// a run of the same roles).
	h, err := f.m.Start(context.Background(), Request{Path: f.runbook, Caller: Caller{Roles: []string{"ops"}}})
	if err != nil {
		t.Fatal(err)
	}
	own := wait(t, h)
	if err := os.WriteFile(f.status, []byte("ok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err = f.m.Start(context.Background(), Request{Path: f.runbook, Caller: Caller{Roles: []string{"ops"}},
		Selection: engine.Selection{From: "show"}, ResumeFrom: own.RunID})
	if err != nil {
		t.Fatal(err)
	}
	if rep := wait(t, h); rep.Status != report.StatusSucceeded {
		t.Errorf("direct --from run %s: %+v", rep.Status, rep.Error)
	}
}

// TestGrantedRunbookCacheIsItsOwn: a caller's own playbook that writes a
// cache entry under the key a granted runbook reads cannot choose what
// the runbook's grant deletes, and the runbook's entries are not the
// caller's either.
func TestGrantedRunbookCacheIsItsOwn(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"cache", "important"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"cache/old.tmp", "important/db1.dat"} {
		if err := os.WriteFile(filepath.Join(dir, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	poison := write("poison.yaml", `version: 1
name: poison
steps:
  - id: find
    op: file.find
    with: {path: `+filepath.Join(dir, "important")+`, pattern: "*"}
    cache: {ttl: 1h, key: stale-files}
`)
	runbook := write("runbook.yaml", `version: 1
name: clean-cache
steps:
  - id: find
    op: file.find
    with: {path: `+filepath.Join(dir, "cache")+`, pattern: "*.tmp"}
    cache: {ttl: 1h, key: stale-files}
  - id: delete
    op: file.delete
    with: {paths: "${{ steps.find.output.paths }}", missing_ok: true}
`)
	reg := newRegistry(t)
	pb, err := steps.Load(runbook, reg)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := auth.ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  oncall:
    inherits: [viewer]
    playbooks: [{path: runbook.yaml, sha256: "`+pb.SHA256+`", as: admin}]
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Config{Registry: reg, Policy: policy, StateDir: filepath.Join(dir, "st")}, Limits{})
	run := func(path string) *report.Report {
		h, err := m.Start(context.Background(), Request{Path: path, Caller: Caller{Roles: []string{"oncall"}}})
		if err != nil {
			t.Fatal(err)
		}
		rep := wait(t, h)
		if rep.Status != report.StatusSucceeded {
			t.Fatalf("%s: %s %+v", path, rep.Status, rep.Error)
		}
		return rep
	}
	run(poison)
	if rep := run(runbook); rep.Steps[0].Cached {
		t.Error("the granted runbook read the entry the caller's playbook wrote")
	}
	if _, err := os.Stat(filepath.Join(dir, "important", "db1.dat")); err != nil {
		t.Errorf("the granted delete took a file the caller chose: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cache", "old.tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the runbook did not delete what it found: %v", err)
	}
	// Its own entries it reads again; the caller's playbook reads its own.
	if rep := run(runbook); !rep.Steps[0].Cached {
		t.Error("the granted runbook did not read its own entry")
	}
	if rep := run(poison); !rep.Steps[0].Cached {
		t.Error("the caller's playbook did not read its own entry")
	}
}

// TestResumeOfRunningRun: resuming a run that is still going says so.
func TestResumeOfRunningRun(t *testing.T) {
	m := newManager(t, Config{StateDir: filepath.Join(t.TempDir(), "st")}, Limits{})
	path := writePlaybook(t, sleeper)
	h, err := m.Start(context.Background(), Request{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, h)
	defer func() { h.Cancel(nil); wait(t, h) }()
	// The start reaches the history on its own time.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		run, err := m.Service().History().Get(context.Background(), h.ID())
		if err == nil && run.Status == history.StatusRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("history: %+v, %v", run, err)
		}
	}
	_, err = m.Start(context.Background(), Request{Path: path, ResumeFrom: h.ID()})
	var pe *PrepareError
	if !errors.As(err, &pe) || pe.Field != "resume" || !strings.Contains(err.Error(), "run "+h.ID()+" is still running") {
		t.Fatalf("err %v, want that the run is still running", err)
	}
}

// TestSelectionUnderGrantUnknownStep: a step id that the runbook does not
// have is a typo to fix first, whatever the caller's roles: under a grant
// the answer names the runbook's steps, as it does for a caller whose own
// roles allow them, not the grant's rule about another step.
func TestSelectionUnderGrantUnknownStep(t *testing.T) {
	f := newGrantFixture(t)
	for _, roles := range [][]string{{"oncall"}, {"ops"}} {
		for _, sel := range []engine.Selection{{Only: []string{"shwo"}}, {From: "shwo"}} {
			_, err := f.m.Start(context.Background(), Request{Path: f.runbook, Caller: Caller{Roles: roles}, Selection: sel})
			var pe *PrepareError
			if !errors.As(err, &pe) || pe.Field != "selection" {
				t.Fatalf("%v %s: err %v, want a selection error", roles, sel, err)
			}
			for _, want := range []string{`no step "shwo"`, "did you mean", "pick, show"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%v %s: %q lacks %q", roles, sel, err, want)
				}
			}
			if strings.Contains(err.Error(), "a grant is for the whole runbook") {
				t.Errorf("%v %s: %q speaks of the grant before the unknown step", roles, sel, err)
			}
		}
	}
}
