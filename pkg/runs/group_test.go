package runs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

const grouped = `version: 1
name: grouped
concurrency: {group: "deploy-${{ inputs.service }}", policy: %s}
inputs:
  service: {type: string, default: api}
  nap: {type: string, default: 400ms}
steps:
  - {id: work, op: control.sleep, with: {duration: "${{ inputs.nap }}"}}
`

// groupServices returns two managers that share where groups are kept, as
// two processes do: the same state dir, or, without one, the same lock
// directory.
func groupServices(t *testing.T, stateDir bool) (*Manager, *Manager) {
	t.Helper()
	cfg := Config{LockDir: t.TempDir()}
	if stateDir {
		cfg = Config{StateDir: t.TempDir()}
	}
	return newManager(t, cfg, Limits{}), newManager(t, cfg, Limits{})
}

// notices collects what runs say they wait for.
type notices struct {
	mu    sync.Mutex
	lines []string
}

func (n *notices) add(format string, args ...any) {
	n.mu.Lock()
	n.lines = append(n.lines, fmt.Sprintf(format, args...))
	n.mu.Unlock()
}

func (n *notices) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.lines, "\n")
}

func backends(t *testing.T, f func(t *testing.T, stateDir bool)) {
	t.Run("state dir", func(t *testing.T) { f(t, true) })
	t.Run("lock files", func(t *testing.T) { f(t, false) })
}

// TestConcurrencyQueue runs two runs of one group from two services one
// after the other, while a run of another group overlaps them.
func TestConcurrencyQueue(t *testing.T) {
	backends(t, func(t *testing.T, stateDir bool) {
		a, b := groupServices(t, stateDir)
		path := writePlaybook(t, fmt.Sprintf(grouped, "queue"))
		h1, err := a.Start(context.Background(), Request{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		waitRunning(t, h1)
		var said notices
		h2, err := b.Start(context.Background(), Request{Path: path, Notice: said.add})
		if err != nil {
			t.Fatal(err)
		}
		h3, err := b.Start(context.Background(), Request{Path: path, InputText: map[string]string{"service": "web", "nap": "1ms"}})
		if err != nil {
			t.Fatal(err)
		}
		r1, r2, r3 := wait(t, h1), wait(t, h2), wait(t, h3)
		for _, r := range []*report.Report{r1, r2, r3} {
			if r.Status != report.StatusSucceeded {
				t.Fatalf("run %s: %s %+v", r.RunID, r.Status, r.Error)
			}
		}
		if r2.StartedAt.Before(r1.FinishedAt) {
			t.Errorf("the second run of the group started at %s, before the first ended at %s", r2.StartedAt, r1.FinishedAt)
		}
		if !r3.FinishedAt.Before(r1.FinishedAt) {
			t.Errorf("a run of another group waited: it ended at %s, the first run at %s", r3.FinishedAt, r1.FinishedAt)
		}
		if want := fmt.Sprintf(`waiting for concurrency group "deploy-api": run %s holds it`, h1.ID()); !strings.Contains(said.String(), want) {
			t.Errorf("notices %q, want %q", said.String(), want)
		}
	})
}

// TestConcurrencySkip does not start a run whose group is busy.
func TestConcurrencySkip(t *testing.T) {
	backends(t, func(t *testing.T, stateDir bool) {
		a, b := groupServices(t, stateDir)
		path := writePlaybook(t, fmt.Sprintf(grouped, "skip"))
		h1, err := a.Start(context.Background(), Request{Path: path, InputText: map[string]string{"nap": "1h"}})
		if err != nil {
			t.Fatal(err)
		}
		waitRunning(t, h1)
		h2, err := b.Start(context.Background(), Request{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		r2 := wait(t, h2)
		want := fmt.Sprintf(`skipped: concurrency group "deploy-api" is busy with run %s (policy skip)`, h1.ID())
		if r2.Status != report.StatusCancelled || r2.Error == nil || r2.Error.Message != want || len(r2.Steps) != 1 || r2.Steps[0].Status != report.StatusSkipped {
			t.Errorf("the second run: %s %+v, steps %+v; want cancelled with %q, its step skipped", r2.Status, r2.Error, r2.Steps, want)
		}
		checkGrammar(t, collect(t, h2))
		h1.Cancel(nil)
		wait(t, h1)
		// Once the group is free, a run of it starts.
		h3, err := b.Start(context.Background(), Request{Path: path, InputText: map[string]string{"nap": "1ms"}})
		if err != nil {
			t.Fatal(err)
		}
		if r := wait(t, h3); r.Status != report.StatusSucceeded {
			t.Errorf("after the group was released: %s %+v", r.Status, r.Error)
		}
	})
}

// TestConcurrencyCancelRunning cancels the run holding the group and the
// runs waiting for it, then starts.
func TestConcurrencyCancelRunning(t *testing.T) {
	backends(t, func(t *testing.T, stateDir bool) {
		a, b := groupServices(t, stateDir)
		queue := writePlaybook(t, fmt.Sprintf(grouped, "queue"))
		replace := writePlaybook(t, fmt.Sprintf(grouped, "cancel_running"))
		h1, err := a.Start(context.Background(), Request{Path: queue, InputText: map[string]string{"nap": "1h"}})
		if err != nil {
			t.Fatal(err)
		}
		waitRunning(t, h1)
		var said notices
		h2, err := a.Start(context.Background(), Request{Path: queue, Notice: said.add})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(said.String(), "waiting for concurrency group") {
			if time.Now().After(deadline) {
				t.Fatal("the second run never waited")
			}
			time.Sleep(10 * time.Millisecond)
		}
		h3, err := b.Start(context.Background(), Request{Path: replace, InputText: map[string]string{"nap": "1ms"}})
		if err != nil {
			t.Fatal(err)
		}
		r1, r2, r3 := wait(t, h1), wait(t, h2), wait(t, h3)
		if r1.Status != report.StatusCancelled || r1.Error == nil || !strings.Contains(r1.Error.Message, fmt.Sprintf(`cancelled by run %s of concurrency group "deploy-api" (policy cancel_running)`, h3.ID())) {
			t.Errorf("the running run: %s %+v", r1.Status, r1.Error)
		}
		if r2.Status != report.StatusCancelled || r2.Error == nil || !strings.Contains(r2.Error.Message, fmt.Sprintf("replaced by run %s", h3.ID())) {
			t.Errorf("the waiting run: %s %+v", r2.Status, r2.Error)
		}
		if r3.Status != report.StatusSucceeded || r3.StartedAt.Before(r1.FinishedAt) {
			t.Errorf("the replacing run: %s, started %s, the replaced one ended %s", r3.Status, r3.StartedAt, r1.FinishedAt)
		}
	})
}

// TestConcurrencyWaitingRunCancelled cancels a run while it waits for its
// group: it never starts, and leaves the line to the next.
func TestConcurrencyWaitingRunCancelled(t *testing.T) {
	m := newManager(t, Config{LockDir: t.TempDir()}, Limits{})
	path := writePlaybook(t, fmt.Sprintf(grouped, "queue"))
	h1, err := m.Start(context.Background(), Request{Path: path, InputText: map[string]string{"nap": "300ms"}})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, h1)
	h2, err := m.Start(context.Background(), Request{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	h3, err := m.Start(context.Background(), Request{Path: path, InputText: map[string]string{"nap": "1ms"}})
	if err != nil {
		t.Fatal(err)
	}
	if h2.State() != StateQueued {
		t.Errorf("a run waiting for its group is %s", h2.State())
	}
	h2.Cancel(nil)
	r2 := wait(t, h2)
	if r2.Status != report.StatusCancelled || !strings.Contains(r2.Error.Message, "before it started") {
		t.Errorf("the cancelled waiting run: %s %+v", r2.Status, r2.Error)
	}
	if r2.Error != nil && strings.Contains(r2.Error.Class+": "+r2.Error.Message, "cancelled: cancelled") {
		t.Errorf("the cancelled waiting run's error says cancelled twice: %s: %s", r2.Error.Class, r2.Error.Message)
	}
	if r := wait(t, h3); r.Status != report.StatusSucceeded {
		t.Errorf("the run after it: %s %+v", r.Status, r.Error)
	}
	wait(t, h1)
}

// TestDryRunIgnoresConcurrency lets a dry run through a busy group: it
// changes nothing.
func TestDryRunIgnoresConcurrency(t *testing.T) {
	m := newManager(t, Config{LockDir: t.TempDir()}, Limits{})
	path := writePlaybook(t, fmt.Sprintf(grouped, "skip"))
	h1, err := m.Start(context.Background(), Request{Path: path, InputText: map[string]string{"nap": "1h"}})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, h1)
	h2, err := m.Start(context.Background(), Request{Path: path, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := wait(t, h2); r.Status != report.StatusSucceeded || !r.DryRun {
		t.Errorf("the dry run: %s %+v", r.Status, r.Error)
	}
	h1.Cancel(nil)
	wait(t, h1)
}
