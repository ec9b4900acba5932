package cache_test

import (
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/cache"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestHitMustMeetRetryUntil: an entry kept by a step without an until
// (same op, same params) is no answer to a step retried until its output
// says otherwise: that step runs, and what it keeps meets its until.
func TestHitMustMeetRetryUntil(t *testing.T) {
	f := newFixture(t, `version: 1
name: c
steps:
  - {id: probe, op: test.echo, with: {x: 1}, cache: {ttl: 10m}}
  - id: gate
    needs: [probe]
    op: test.echo
    with: {x: 1}
    retry: {attempts: 3, delay: 1ms, until: output.n >= 2}
    cache: {ttl: 10m}
`)
	rep, _ := f.run(nil)
	g := step(rep, "gate")
	if g.Status != report.StatusSucceeded || g.Cached || nOf(g) != 2 {
		t.Fatalf("gate: %s, cached %v, output %v; want it run past the probe's entry (n 1) to n 2", g.Status, g.Cached, g.Output)
	}
	// The entry the gate kept meets its until: the next run's gate uses it.
	rep, _ = f.run(nil)
	if g := step(rep, "gate"); g.Status != report.StatusSucceeded || !g.Cached || nOf(g) != 2 {
		t.Errorf("second run's gate: %s, cached %v, output %v; want the hit of n 2", g.Status, g.Cached, g.Output)
	}
}

// TestRepeatPollsPastTheCache: each attempt of a repeated step runs, and
// only the output that ends the repeat is kept, so a poll sees the state
// change it waits for, and a later run takes the kept result at once.
func TestRepeatPollsPastTheCache(t *testing.T) {
	f := newFixture(t, `version: 1
name: c
steps:
  - id: wait
    op: test.echo
    with: {x: 1}
    repeat: {until: output.n >= 3, every: 1ms, timeout: 10s}
    cache: {ttl: 10m}
`)
	rep, _ := f.run(nil)
	if w := step(rep, "wait"); w.Status != report.StatusSucceeded || nOf(w) != 3 || f.count.n.Load() != 3 {
		t.Fatalf("wait: %s %+v, output %v, %d executions; want three attempts, the last n 3", w.Status, w.Error, w.Output, f.count.n.Load())
	}
	rep, _ = f.run(nil)
	if w := step(rep, "wait"); w.Status != report.StatusSucceeded || !w.Cached || nOf(w) != 3 || f.count.n.Load() != 3 {
		t.Errorf("second run: %s, cached %v, output %v, %d executions; want the kept n 3 at once", w.Status, w.Cached, w.Output, f.count.n.Load())
	}
}

// nOf is test.echo's run count in a step's output, or -1.
func nOf(s *report.Step) int {
	if out, ok := s.Output.(map[string]any); ok {
		if n, ok := out["n"].(int); ok {
			return n
		}
		if n, ok := out["n"].(float64); ok {
			return int(n)
		}
	}
	return -1
}

// TestEntriesAreThoseOfTheirHost: replicas on several hosts share a
// PostgreSQL store; what a step read on one host is no hit on another.
func TestEntriesAreThoseOfTheirHost(t *testing.T) {
	f := newFixture(t, `version: 1
name: c
steps:
  - {id: a, op: test.pid, cache: {ttl: 10m}}
`)
	f.run(nil)
	restore := cache.SetHostID("another-host")
	rep, _ := f.run(nil)
	restore()
	if a := step(rep, "a"); a.Cached || f.count.n.Load() != 2 {
		t.Errorf("on another host: cached %v, %d executions; want a miss that ran", a.Cached, f.count.n.Load())
	}
	rep, _ = f.run(nil)
	if a := step(rep, "a"); !a.Cached || f.count.n.Load() != 2 {
		t.Errorf("back on the first host: cached %v, %d executions; want its own entry", a.Cached, f.count.n.Load())
	}
}
