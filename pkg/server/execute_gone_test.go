package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestExecuteClientGoneIsRecorded: an execute whose client closes its
// connection is cancelled, and history says the client went away, not
// "context canceled".
func TestExecuteClientGoneIsRecorded(t *testing.T) {
	started := make(chan struct{})
	ts := newTestServerWith(t, func(c *runs.Config) {
		c.Registry.MustRegister(ops.Spec{Name: "test.block", Description: "blocks until cancelled", Risk: ops.RiskRead},
			ops.Func(func(ctx context.Context, _ ops.Params) (map[string]any, error) {
				close(started)
				<-ctx.Done()
				return nil, ctx.Err()
			}))
	})
	ctx, cancel := context.WithCancel(context.Background())
	hr, err := http.NewRequestWithContext(ctx, "POST", ts.url+"/api/v1/operations/test.block/execute", strings.NewReader(`{"params": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+ts.keys["admin"])
	done := make(chan error, 1)
	go func() {
		res, err := ts.client.Do(hr)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	<-started
	cancel()
	<-done
	wantCancelled(t, ts.state, "the client closed its connection before the operation ended")
}

// TestExecuteCutAtShutdownIsRecorded: an execute still going when the
// grace of Shutdown runs out is cut, and history says the service
// stopped, not that its client went away.
func TestExecuteCutAtShutdownIsRecorded(t *testing.T) {
	started := make(chan struct{})
	ts := newTestServerWith(t, func(c *runs.Config) {
		c.Registry.MustRegister(ops.Spec{Name: "test.block", Description: "blocks until cancelled", Risk: ops.RiskRead},
			ops.Func(func(ctx context.Context, _ ops.Params) (map[string]any, error) {
				close(started)
				<-ctx.Done()
				return nil, ctx.Err()
			}))
	})
	hr, err := http.NewRequest("POST", ts.url+"/api/v1/operations/test.block/execute", strings.NewReader(`{"params": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+ts.keys["admin"])
	done := make(chan error, 1)
	go func() {
		res, err := ts.client.Do(hr)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	<-started
	// The grace is over at once: the execute still going is cut.
	sctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ts.srv.Shutdown(sctx); err == nil {
		t.Error("Shutdown cut an execute in flight and said nothing")
	}
	<-done
	wantCancelled(t, ts.state, "the service stopped before the operation ended")
}

// wantCancelled waits for the one cancelled run of the history in state
// and checks that its error says msg.
func wantCancelled(t *testing.T, state, msg string) {
	t.Helper()
	store, err := history.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		list, err := store.List(context.Background(), history.Filter{Status: report.StatusCancelled})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > 0 {
			if e := list[0].Error; e == nil || !strings.Contains(e.Message, msg) {
				t.Errorf("history error %+v", e)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the cancelled execute was not recorded")
		}
	}
}
