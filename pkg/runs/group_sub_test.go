package runs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// migrate is a sub-playbook of a concurrency group whose one step records
// when it starts and ends, in the file LOG.
const migrate = `version: 1
name: migrate
concurrency: {group: db-migrate, policy: %s}
steps:
  - id: work
    op: shell.exec
    with: {script: 'echo "start $(date +%%s%%N)" >> %s; sleep 0.4; echo "end $(date +%%s%%N)" >> %s'}
`

const caller = `version: 1
name: caller
%s
steps:
  - {id: call, op: playbook.run, with: {path: migrate.yaml}}
`

// subGroupFiles writes migrate.yaml with policy and caller.yaml (with
// extra at its top) into one directory; it returns caller.yaml and the
// log the sub-playbook's step writes.
func subGroupFiles(t *testing.T, policy, extra string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "times.log")
	if err := os.WriteFile(filepath.Join(dir, "migrate.yaml"), []byte(fmt.Sprintf(migrate, policy, log, log)), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "caller.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(caller, extra)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, log
}

// intervals reads the log of start/end times, in order of start.
func intervals(t *testing.T, log string) [][2]int64 {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var starts, ends []int64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		kind, at, _ := strings.Cut(line, " ")
		n, err := strconv.ParseInt(at, 10, 64)
		if err != nil {
			t.Fatalf("log line %q", line)
		}
		if kind == "start" {
			starts = append(starts, n)
		} else {
			ends = append(ends, n)
		}
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
	if len(starts) != len(ends) {
		t.Fatalf("log %q: %d starts, %d ends", b, len(starts), len(ends))
	}
	out := make([][2]int64, len(starts))
	for i := range starts {
		out[i] = [2]int64{starts[i], ends[i]}
	}
	return out
}

// TestSubRunQueuesForItsGroup runs two callers of a sub-playbook of a
// concurrency group at once, from two services: the sub-playbook's step
// never overlaps itself, and the second says what it waited for.
func TestSubRunQueuesForItsGroup(t *testing.T) {
	backends(t, func(t *testing.T, stateDir bool) {
		a, b := groupServices(t, stateDir)
		path, log := subGroupFiles(t, "queue", "")
		var said notices
		roles := Caller{Roles: []string{"admin"}}
		h1, err := a.Start(context.Background(), Request{Path: path, Caller: roles, Notice: said.add})
		if err != nil {
			t.Fatal(err)
		}
		h2, err := b.Start(context.Background(), Request{Path: path, Caller: roles, Notice: said.add})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []*report.Report{wait(t, h1), wait(t, h2)} {
			if r.Status != report.StatusSucceeded {
				t.Fatalf("run %s: %s %+v %+v", r.RunID, r.Status, r.Error, r.Steps)
			}
		}
		iv := intervals(t, log)
		if len(iv) != 2 {
			t.Fatalf("the sub-playbook's step ran %d times, want 2", len(iv))
		}
		if iv[1][0] < iv[0][1] {
			t.Errorf("the sub-runs of group db-migrate overlapped: one ran %d-%d, the other started at %d", iv[0][0], iv[0][1], iv[1][0])
		}
		if !strings.Contains(said.String(), `waiting for concurrency group "db-migrate": run `) {
			t.Errorf("notices %q: no wait for the sub-playbook's group", said.String())
		}
	})
}

// TestSubRunSkipsBusyGroup: a sub-playbook of policy skip does not run
// while its group is busy; the playbook.run step fails with why.
func TestSubRunSkipsBusyGroup(t *testing.T) {
	m := newManager(t, Config{LockDir: t.TempDir()}, Limits{})
	path, _ := subGroupFiles(t, "skip", "")
	roles := Caller{Roles: []string{"admin"}}
	hold := writePlaybook(t, "version: 1\nname: holder\nconcurrency: {group: db-migrate}\nsteps:\n  - {id: nap, op: control.sleep, with: {duration: 1h}}\n")
	h1, err := m.Start(context.Background(), Request{Path: hold})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, h1)
	h2, err := m.Start(context.Background(), Request{Path: path, Caller: roles})
	if err != nil {
		t.Fatal(err)
	}
	r := wait(t, h2)
	want := fmt.Sprintf(`skipped: concurrency group "db-migrate" is busy with run %s (policy skip)`, h1.ID())
	if r.Status == report.StatusSucceeded || len(r.Steps) != 1 || r.Steps[0].Error == nil || !strings.Contains(r.Steps[0].Error.Message, want) || r.Steps[0].Error.Class != "cancelled" {
		t.Errorf("the caller: %s %+v, steps %+v; want its playbook.run step failed (class cancelled) with %q", r.Status, r.Error, r.Steps, want)
	}
	h1.Cancel(nil)
	wait(t, h1)
}

// TestSubRunOfItsCallersGroup: a sub-playbook in the group its caller
// holds runs inside it rather than waiting for itself.
func TestSubRunOfItsCallersGroup(t *testing.T) {
	m := newManager(t, Config{LockDir: t.TempDir()}, Limits{})
	path, log := subGroupFiles(t, "queue", "concurrency: {group: db-migrate}")
	h, err := m.Start(context.Background(), Request{Path: path, Caller: Caller{Roles: []string{"admin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := wait(t, h); r.Status != report.StatusSucceeded {
		t.Fatalf("the caller: %s %+v", r.Status, r.Error)
	}
	if n := len(intervals(t, log)); n != 1 {
		t.Errorf("the sub-playbook ran %d times", n)
	}
}

// TestSubRunWaitCancelled: cancelling a run while its sub-run waits for
// its group ends the wait, and the sub-playbook never runs.
func TestSubRunWaitCancelled(t *testing.T) {
	m := newManager(t, Config{LockDir: t.TempDir()}, Limits{})
	path, log := subGroupFiles(t, "queue", "")
	hold := writePlaybook(t, "version: 1\nname: holder\nconcurrency: {group: db-migrate}\nsteps:\n  - {id: nap, op: control.sleep, with: {duration: 1h}}\n")
	h1, err := m.Start(context.Background(), Request{Path: hold})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, h1)
	var said notices
	h2, err := m.Start(context.Background(), Request{Path: path, Caller: Caller{Roles: []string{"admin"}}, Notice: said.add})
	if err != nil {
		t.Fatal(err)
	}
	waitNotice(t, &said, "waiting for concurrency group")
	h2.Cancel(nil)
	r := wait(t, h2)
	if r.Status != report.StatusCancelled || r.Steps[0].Error == nil || !strings.Contains(r.Steps[0].Error.Message, `cancelled while waiting for concurrency group "db-migrate"`) {
		t.Errorf("the cancelled caller: %s %+v, steps %+v", r.Status, r.Error, r.Steps)
	}
	if _, err := os.Stat(log); !os.IsNotExist(err) {
		t.Errorf("the sub-playbook ran: %v", err)
	}
	h1.Cancel(nil)
	wait(t, h1)
}

func waitNotice(t *testing.T, n *notices, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(n.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no notice %q; got %q", want, n.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSubRunCancelsRunningHolder: a sub-playbook of policy
// cancel_running stops the run that holds its group, then runs.
func TestSubRunCancelsRunningHolder(t *testing.T) {
	m := newManager(t, Config{LockDir: t.TempDir()}, Limits{})
	path, log := subGroupFiles(t, "cancel_running", "")
	hold := writePlaybook(t, "version: 1\nname: holder\nconcurrency: {group: db-migrate}\nsteps:\n  - {id: nap, op: control.sleep, with: {duration: 1h}}\n")
	h1, err := m.Start(context.Background(), Request{Path: hold})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, h1)
	h2, err := m.Start(context.Background(), Request{Path: path, Caller: Caller{Roles: []string{"admin"}}})
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := wait(t, h1), wait(t, h2)
	if r1.Status != report.StatusCancelled || r1.Error == nil || !strings.Contains(r1.Error.Message, "of concurrency group \"db-migrate\" (policy cancel_running)") {
		t.Errorf("the holder: %s %+v", r1.Status, r1.Error)
	}
	if r2.Status != report.StatusSucceeded || len(intervals(t, log)) != 1 {
		t.Errorf("the caller: %s %+v", r2.Status, r2.Error)
	}
}
