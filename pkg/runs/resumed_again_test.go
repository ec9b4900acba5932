package runs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestResumeRefusesARunResumedAlready: two people at an incident both
// copy the resume command the failed run printed. The second resume, while
// the first still runs or after it ended, would run the failed steps again
// (a migration twice); it is refused, naming the resume that has the run
// and what to do, through a resume that failed and was resumed in turn.
// --from still reruns from a chosen step on purpose.
func TestResumeRefusesARunResumedAlready(t *testing.T) {
	dir := t.TempDir()
	mark := func(name string) string { return filepath.Join(dir, name) }
	touch := func(name string) {
		t.Helper()
		if err := os.WriteFile(mark(name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := mark("deploy.yaml")
	if err := os.WriteFile(path, []byte(`version: 1
name: deploy
steps:
  - {id: build, op: shell.exec, with: {script: "echo built >> build.log"}}
  - {id: migrate, op: shell.exec, with: {script: "echo run >> migrate.log; while [ -e hold ]; do sleep 0.02; done; test ! -e fail"}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Config{Registry: newRegistry(t), StateDir: t.TempDir()}, Limits{})
	touch("fail")
	first := wait(t, mustStart(t, m, Request{Path: path}))
	if first.Status != "failed" {
		t.Fatalf("the first run %s", first.Status)
	}
	// A request given up on stops reading the history, and its resume is
	// not let through for want of an answer.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.svc.checkResumedAgain(gone, first, false); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("the check of a request given up on: %v", err)
	}
	// A resume that fails again leaves the run to resume once more.
	failed := wait(t, mustStart(t, m, Request{Path: path, ResumeFrom: first.RunID}))
	if failed.Status != "failed" || !failed.Steps[0].Reused {
		t.Fatalf("the first resume: %s, build reused %v", failed.Status, failed.Steps[0].Reused)
	}
	if err := os.Remove(mark("fail")); err != nil {
		t.Fatal(err)
	}
	touch("hold")
	h := mustStart(t, m, Request{Path: path, ResumeFrom: failed.RunID})
	for deadline := time.Now().Add(30 * time.Second); ; {
		if b, _ := os.ReadFile(mark("migrate.log")); strings.Count(string(b), "run") == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the resume did not start migrate")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err := m.Start(context.Background(), Request{Path: path, ResumeFrom: first.RunID})
	if err == nil || !strings.Contains(err.Error(), "run "+first.RunID+" is being resumed already, by run "+h.ID()+" (which resumed run "+failed.RunID+"), still running") {
		t.Errorf("a second resume while the first runs: %v", err)
	}
	// --from reruns steps on purpose, but not while a resume runs them.
	_, err = m.Start(context.Background(), Request{Path: path, ResumeFrom: first.RunID, Selection: engine.Selection{From: "migrate"}})
	if err == nil || !strings.Contains(err.Error(), "is being resumed already, by run "+h.ID()) {
		t.Errorf("--from migrate while a resume runs: %v", err)
	}
	if err := os.Remove(mark("hold")); err != nil {
		t.Fatal(err)
	}
	if rep := wait(t, h); rep.Status != "succeeded" {
		t.Fatalf("the resume %s", rep.Status)
	}
	_, err = m.Start(context.Background(), Request{Path: path, ResumeFrom: first.RunID})
	if err == nil || !strings.Contains(err.Error(), "was resumed already, by run "+h.ID()+" (which resumed run "+failed.RunID+"), which succeeded") || !strings.Contains(err.Error(), "--from STEP") {
		t.Errorf("a resume after the first succeeded: %v", err)
	}
	if b, _ := os.ReadFile(mark("migrate.log")); strings.Count(string(b), "run") != 3 {
		t.Errorf("migrate ran %d times, want 3", strings.Count(string(b), "run"))
	}
	again := wait(t, mustStart(t, m, Request{Path: path, ResumeFrom: first.RunID, Selection: engine.Selection{From: "migrate"}}))
	if again.Status != "succeeded" || !again.Steps[0].Reused {
		t.Errorf("--from migrate of the run resumed: %s, build reused %v", again.Status, again.Steps[0].Reused)
	}
}
