package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestAuditWriteFailureFailsStep writes the audit log to /dev/full, where
// every write fails with "no space left on device", as on a full disk. A
// step that cannot be audited must fail and say why, and what needs it
// must not run.
func TestAuditWriteFailureFailsStep(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	reg := testRegistry(t)
	dir := t.TempDir()
	pbPath := writeFile(t, dir, "pb.yaml", `version: 1
name: t
steps:
  - {id: a, op: control.log, with: {message: hello}}
  - {id: b, op: control.log, with: {message: never}}
`)
	pb, err := steps.Load(pbPath, reg)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := OpenAudit("/dev/full")
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	rep, err := engine.New(reg, engine.WithAuditor(audit)).Plan(pb).Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, st := range rep.Steps {
		got[st.ID] = string(st.Status)
	}
	if diff := cmp.Diff(map[string]string{"a": "failed", "b": "skipped"}, got); diff != "" {
		t.Errorf("step statuses (-want +got):\n%s", diff)
	}
	if rep.Status != "failed" {
		t.Errorf("run status %q, want failed", rep.Status)
	}
	e := rep.Steps[0].Error
	if e == nil || e.Class != "system" || !strings.Contains(e.Message, "step a (outcome: succeeded) could not be audited, so it fails") || !strings.Contains(e.Message, "no space left on device") {
		t.Errorf("step a's error is %+v; want class system saying it could not be audited and why", e)
	}

	// A preflight denial that cannot be audited is reported too.
	err = audit.Denied("run1", pb, []string{"viewer"}, "", "", []StepDecision{{Step: "a", Op: "control.log"}})
	if err == nil || !strings.Contains(err.Error(), "the denial of step a could not be audited") {
		t.Errorf("Denied = %v; want an error naming the step", err)
	}
}

// TestAuditWritesWhenItCan is the counterpart: with a writable log the same
// run succeeds and records both steps.
func TestAuditWritesWhenItCan(t *testing.T) {
	reg := testRegistry(t)
	dir := t.TempDir()
	pbPath := writeFile(t, dir, "pb.yaml", "version: 1\nname: t\nsteps:\n  - {id: a, op: control.noop}\n  - {id: b, op: control.noop}\n")
	pb, err := steps.Load(pbPath, reg)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "audit.log")
	audit, err := OpenAudit(logPath)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.New(reg, engine.WithAuditor(audit)).Plan(pb).Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.Close(); err != nil {
		t.Fatal(err)
	}
	if rep.Status != "succeeded" {
		t.Errorf("run status %q, want succeeded", rep.Status)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != 2 {
		t.Errorf("audit log has %d lines, want 2:\n%s", n, data)
	}
}

// TestAuditMasksURLCredentials: a param that is a URL with a token-like
// query parameter or a password is written to the audit line masked as
// http.request reports it; other URLs and text are kept as written.
func TestAuditMasksURLCredentials(t *testing.T) {
	reg := testRegistry(t)
	dir := t.TempDir()
	pbPath := writeFile(t, dir, "pb.yaml", `version: 1
name: t
steps:
  - {id: a, op: control.log, with: {message: "https://bob:hunter2@api.example/x?access_token=LITERALTOKEN123&page=2"}}
  - {id: b, op: control.log, with: {message: "https://api.example/a%20b?page=2"}}
  - {id: c, op: control.log, with: {message: "see access_token=LITERALTOKEN456"}}
`)
	pb, err := steps.Load(pbPath, reg)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "audit.log")
	audit, err := OpenAudit(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.New(reg, engine.WithAuditor(audit)).Plan(pb).Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := audit.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var line struct {
			Step   string         `json:"step"`
			Params map[string]any `json:"params"`
		}
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		got[line.Step] = line.Params["message"]
	}
	want := map[string]any{
		"a": "https://bob:***@api.example/x?access_token=***&page=2",
		"b": "https://api.example/a%20b?page=2",
		"c": "see access_token=LITERALTOKEN456",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audited message params (-want +got):\n%s", diff)
	}
}

// TestAuditConcurrentLinesAreWholeAndAllThere: lines written at once by
// many steps, gathered into shared writes, all reach the file whole, each
// once, and every writer has returned only after its line was written.
func TestAuditConcurrentLinesAreWholeAndAllThere(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "audit.log")
	audit, err := OpenAudit(logPath)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 32, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				// Lines of different lengths, some long enough to
				// outgrow a reused buffer.
				msg := strings.Repeat("x", (w*each+i)%700)
				if err := audit.Action(AuditLine{RunID: fmt.Sprintf("w%d-%d", w, i), Step: msg}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := audit.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for l := range strings.Lines(string(data)) {
		var line AuditLine
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("line %q is not one whole record: %v", l, err)
		}
		if seen[line.RunID] {
			t.Errorf("line %s written twice", line.RunID)
		}
		seen[line.RunID] = true
	}
	if len(seen) != writers*each {
		t.Errorf("%d lines in the log, want %d", len(seen), writers*each)
	}
}

// TestAuditGroupWriteFailureFailsEveryLine: when the write of gathered
// lines fails, every writer among them gets the error.
func TestAuditGroupWriteFailureFailsEveryLine(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	audit, err := OpenAudit("/dev/full")
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 16 {
		wg.Go(func() {
			for range 20 {
				if err := audit.Action(AuditLine{RunID: "r"}); err != nil && strings.Contains(err.Error(), "no space left on device") {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n != 16*20 {
		t.Errorf("%d of %d writes failed; want every one", n, 16*20)
	}
}

// BenchmarkAuditParallel writes audit lines from concurrent goroutines, as
// the executes of a busy server do.
func BenchmarkAuditParallel(b *testing.B) {
	audit, err := OpenAudit(filepath.Join(b.TempDir(), "audit.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer audit.Close()
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := audit.Action(AuditLine{RunID: "0193a5b2c4d5e6f7a8b9c0d1e2f3a4b5", Playbook: "api", Step: "execute", Op: "control.noop", Outcome: "succeeded", Who: "ci", From: "127.0.0.1"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestAuditLinesOfASubPlaybookNameTheirParent: the steps a sub-playbook
// runs are audited under the sub-run's id, with the run and step that
// started it, so that a nested step leads back to the run someone started.
func TestAuditLinesOfASubPlaybookNameTheirParent(t *testing.T) {
	reg := testRegistry(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.log")
	audit, err := OpenAudit(logPath)
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(reg, engine.WithAuditor(audit))
	if err := engine.RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "child.yaml", "version: 1\nname: child\nsteps:\n  - {id: inner, op: control.noop}\n")
	pb, err := steps.Load(writeFile(t, dir, "pb.yaml", `version: 1
name: parent
steps:
  - {id: outer, op: control.noop}
  - {id: call, op: playbook.run, foreach: "[1]", with: {path: child.yaml}}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.Plan(pb).Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.Close(); err != nil {
		t.Fatal(err)
	}
	if rep.Status != "succeeded" {
		t.Fatalf("run %s", rep.Status)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]AuditLine{}
	for l := range strings.Lines(string(data)) {
		var line AuditLine
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatal(err)
		}
		got[line.Step] = line
	}
	if o := got["outer"]; o.ParentRunID != "" || o.ParentStep != "" {
		t.Errorf("a step of the run itself names a parent: %+v", o)
	}
	in := got["inner"]
	if in.RunID == "" || in.RunID == rep.RunID || in.ParentRunID != rep.RunID || in.ParentStep != "call[0]" {
		t.Errorf("the sub-playbook's step: run %q parent %q step %q; want its own run, parent %q, step call[0]", in.RunID, in.ParentRunID, in.ParentStep, rep.RunID)
	}
}

// TestAuditReopenFollowsARenamedFile: after the log is renamed away (log
// rotation) and reopened, new lines go to a new file at the path, none is
// lost or split between the two, and lines written during the reopen are
// whole in one of them.
func TestAuditReopenFollowsARenamedFile(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.log")
	audit, err := OpenAudit(logPath)
	if err != nil {
		t.Fatal(err)
	}
	write := func(id string) {
		if err := audit.Action(AuditLine{RunID: id}); err != nil {
			t.Error(err)
		}
	}
	write("before")
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				write(fmt.Sprintf("during-%d-%d", w, i))
			}
		})
	}
	if err := audit.Reopen(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	write("after")
	if err := audit.Close(); err != nil {
		t.Fatal(err)
	}
	ids := func(path string) map[string]bool {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for l := range strings.Lines(string(data)) {
			var line AuditLine
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatalf("%s: %q is not one whole record: %v", path, l, err)
			}
			out[line.RunID] = true
		}
		return out
	}
	old, cur := ids(logPath+".1"), ids(logPath)
	if !old["before"] || old["after"] || !cur["after"] || cur["before"] {
		t.Errorf("before the reopen %v, after it %v: want the first line in the renamed file, the last in the new one", old["before"], cur["after"])
	}
	for w := range 8 {
		for i := range 50 {
			id := fmt.Sprintf("during-%d-%d", w, i)
			if old[id] == cur[id] {
				t.Errorf("%s is in %v of the two files, want exactly one", id, map[bool]string{true: "both", false: "neither"}[old[id]])
			}
		}
	}
}

// TestAuditAndReportSayYesAnswered: a confirm: question that --yes
// answered is recorded as answered, by --yes, in the step's report and on
// its audit line, so that a review tells it from a step nobody asked about.
func TestAuditAndReportSayYesAnswered(t *testing.T) {
	reg := testRegistry(t)
	dir := t.TempDir()
	pbPath := writeFile(t, dir, "pb.yaml", "version: 1\nname: t\nsteps:\n  - {id: a, op: control.noop, confirm: \"really?\"}\n")
	pb, err := steps.Load(pbPath, reg)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "audit.log")
	audit, err := OpenAudit(logPath)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.New(reg, engine.WithAuditor(audit)).Plan(pb).Run(context.Background(), nil, engine.AssumeYes())
	if err != nil {
		t.Fatal(err)
	}
	audit.Close()
	if c := rep.Steps[0].Confirmation; c == nil || c.Answer != "yes" || c.By != "--yes" || c.Question != "really?" {
		t.Errorf("the step's confirmation: %+v", c)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var line AuditLine
	if err := json.Unmarshal(data, &line); err != nil {
		t.Fatal(err)
	}
	if line.Question != "really?" || line.Answer != "yes" || line.AnsweredBy != "--yes" {
		t.Errorf("the step's audit line: %s", data)
	}
}

// TestOpenAuditMakesMissingDirectories: an audit log in a directory that
// does not exist yet (DIR/audit.log beside a state dir a first run is to
// make) is opened, the directories made private as the log is.
func TestOpenAuditMakesMissingDirectories(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "logs")
	path := filepath.Join(dir, "audit.log")
	a, err := OpenAudit(path)
	if err != nil {
		t.Fatalf("OpenAudit in a missing directory: %v", err)
	}
	defer a.Close()
	for p, want := range map[string]os.FileMode{dir: 0o700, filepath.Dir(dir): 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&^want != 0 {
			t.Errorf("%s: mode %v; want at most %v", p, fi.Mode().Perm(), want)
		}
	}
}

// TestOpenAuditRefusesALink: a link in place of the audit log, as one put
// in a state dir another user could write, would have every step's line
// appended to the file it names; it is refused, named, and that file is
// left as it was, on a reopen for log rotation too.
func TestOpenAuditRefusesALink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "audit.log")
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	want := path + " is a symbolic link to " + victim
	if a, err := OpenAudit(path); err == nil {
		a.Close()
		t.Error("opened the audit log through a link")
	} else if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	os.Remove(path)
	a, err := OpenAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	if err := a.Reopen(); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("reopen through a link: %v; want an error containing %q", err, want)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me\n" {
		t.Errorf("the file the link names became %q", b)
	}
}
