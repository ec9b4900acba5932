package runs

import (
	"context"
	"testing"
	"time"
)

// TestExecuteOpAllocs bounds the allocations of an execute, the path of
// every API call that runs an operation: each is paid thousands of times
// a second under load. The preflight decides with the subject the run
// was prepared with, rather than working it out again.
func TestExecuteOpAllocs(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	req := OpRequest{Op: "control.noop", Caller: Caller{Roles: []string{"admin"}, Name: "bench", From: "127.0.0.1", Trigger: TriggerAPI}}
	if _, err := m.ExecuteOp(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := testing.AllocsPerRun(200, func() {
		if _, err := m.ExecuteOp(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.0f allocations an execute", got)
	if got > executeAllocs {
		t.Errorf("an execute of control.noop made %.0f allocations, more than the %d budgeted", got, executeAllocs)
	}
}

// TestExecuteOpTimeoutAllocs bounds what an execute's timeout adds to it:
// the server gives every execute one. The call's own timer is needed;
// its params, checked when the request came, evaluate nothing and need
// neither a timer nor an expression environment of their own.
func TestExecuteOpTimeoutAllocs(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	req := OpRequest{Op: "control.noop", Caller: Caller{Roles: []string{"admin"}, Name: "bench", From: "127.0.0.1", Trigger: TriggerAPI}}
	allocs := func(req OpRequest) float64 {
		if _, err := m.ExecuteOp(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(200, func() {
			if _, err := m.ExecuteOp(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		})
	}
	without := allocs(req)
	req.Timeout = time.Minute
	with := allocs(req)
	t.Logf("%.0f allocations an execute, %.0f with a timeout", without, with)
	if with-without > timeoutAllocs {
		t.Errorf("a timeout added %.0f allocations to an execute, more than the %d of one timer", with-without, timeoutAllocs)
	}
}

// timeoutAllocs bounds what one context with a deadline costs: the
// context, its timer, its cause and the cause's class, 9 allocations with
// or without the race detector, and one to spare.
const timeoutAllocs = 10

// executeAllocs is the budget: lower it when an execute gets cheaper, and
// raise it only for something an execute must newly do. An execute makes
// 70 allocations, 72 under the race detector (make test); 73 (75) before
// control.noop, which never blocks, was called without a goroutine, a
// channel and a copy of its call of its own; 81 before its
// plan found its step without a map and its run kept its steps' records
// and counts of needs with their states, its finished report was copied
// for an event stream it does not have and its start, never recorded,
// was carried in its context; 89 before a
// step's call and its guard were cheaper, a run's steps' states and
// records one allocation and a run of one step at a time without a
// channel for steps beside each other; 100 before its
// run options were values rather than closures and its preflight
// decisions were handed to the run without a copy, 113 before
// its one-step playbook was planned on an engine made once and its run
// left without a connection pool it cannot use, 132 before its engine
// options were made once and its progress left out (it writes no report
// of its own to keep it for).
const executeAllocs = 72
