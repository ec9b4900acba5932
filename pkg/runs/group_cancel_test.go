package runs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// grantHook is a group backend that calls onGrant the moment a run gets
// its group, before acquireGroup sees it: a Cancel there comes exactly
// while the group is being granted.
type grantHook struct {
	groupBackend
	onGrant func(run string)
}

func (g grantHook) enqueue(group, run, who string) (groupTicket, error) {
	t, err := g.groupBackend.enqueue(group, run, who)
	if err != nil {
		return nil, err
	}
	return &hookTicket{groupTicket: t, run: run, onGrant: g.onGrant}, nil
}

type hookTicket struct {
	groupTicket
	run     string
	onGrant func(string)
}

func (t *hookTicket) try() (bool, []string, error) {
	ok, ahead, err := t.groupTicket.try()
	if ok {
		t.onGrant(t.run)
	}
	return ok, ahead, err
}

// TestCancelWhileGroupGranted cancels a queued run at the moment its
// group is granted: it never starts, says it was cancelled while waiting
// for its group, and gives the group up to the next run.
func TestCancelWhileGroupGranted(t *testing.T) {
	backends(t, func(t *testing.T, stateDir bool) {
		for i := range 3 {
			cfg := Config{LockDir: t.TempDir()}
			if stateDir {
				cfg = Config{StateDir: t.TempDir()}
			}
			m := newManager(t, cfg, Limits{})
			path := writePlaybook(t, fmt.Sprintf(grouped, "queue"))
			h1, err := m.Start(context.Background(), Request{Path: path, InputText: map[string]string{"nap": "200ms"}})
			if err != nil {
				t.Fatal(err)
			}
			waitRunning(t, h1)
			m.svc.groups = grantHook{m.svc.groups, func(run string) {
				if h, ok := m.Get(run); ok && run != h1.ID() {
					h.Cancel(errors.New("cancelled by the test as its group was granted"))
				}
			}}
			h2, err := m.Start(context.Background(), Request{Path: path, InputText: map[string]string{"nap": "1ms"}})
			if err != nil {
				t.Fatal(err)
			}
			r2 := wait(t, h2)
			reason := `not run: cancelled while waiting for concurrency group "deploy-api"`
			if r2.Status != report.StatusCancelled || len(r2.Steps) != 1 || r2.Steps[0].Status != report.StatusSkipped || r2.Steps[0].Reason != reason {
				t.Fatalf("try %d: the run cancelled as its group was granted: %s %+v, steps %+v; want cancelled, its step skipped with %q", i, r2.Status, r2.Error, r2.Steps, reason)
			}
			if !strings.Contains(r2.Error.Message, "by the test as its group was granted before it started") {
				t.Errorf("try %d: error %+v", i, r2.Error)
			}
			wait(t, h1)
			// The group was given back.
			h3, err := m.Start(context.Background(), Request{Path: path, InputText: map[string]string{"nap": "1ms"}})
			if err != nil {
				t.Fatal(err)
			}
			if r := wait(t, h3); r.Status != report.StatusCancelled && r.Status != report.StatusSucceeded {
				t.Errorf("try %d: the next run: %s %+v", i, r.Status, r.Error)
			}
		}
	})
}
