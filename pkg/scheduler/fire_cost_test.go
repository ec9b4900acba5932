package scheduler

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// BenchmarkFire measures what firing costs, per instant of 1,000
// playbooks scheduled @every 1s, on a fake clock so that only the work
// counts, not the wait for the next second: the loop's ticks decide and
// claim the instant's slots on a real history database and start their
// runs, and an op ends once every run has ended and been taken in.
// core's runs do nothing (the scheduler's own cost); runs runs three
// control.noop steps each through the run service, ten at a time, with
// their history rows and reports, as `schedule` does. Divide by 1,000
// for one fire; cpu-µs/fire is the process's CPU time a fire, which
// other load on the machine changes less than the wall time.
//
//	go test -run '^$' -bench BenchmarkFire -benchmem -count 6 ./pkg/scheduler/
func BenchmarkFire(b *testing.B) {
	const n = 1000
	b.Run("core", func(b *testing.B) {
		hs, err := history.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer hs.Close()
		pbs := make([]*steps.Playbook, n)
		for i := range pbs {
			pbs[i] = &steps.Playbook{Name: fmt.Sprintf("p%04d", i), File: fmt.Sprintf("p%04d.yaml", i),
				Schedule: &steps.Schedule{Cron: "@every 1s", Location: time.UTC, Overlap: "skip", Catchup: "none"}}
		}
		benchFire(b, &delayLauncher{}, hs, pbs, nil)
	})
	b.Run("runs", func(b *testing.B) {
		svc, mgr, pbs := benchRunService(b, DefaultMaxConcurrentRuns, n)
		defer svc.Close()
		defer mgr.Shutdown(context.Background())
		rl := NewRunLauncher(mgr, nil, nil)
		var mu sync.Mutex
		var started []*runs.Handle
		rl.Watch = func(_ Job, h *runs.Handle) <-chan struct{} {
			mu.Lock()
			started = append(started, h)
			mu.Unlock()
			return nil
		}
		// The burst's drain: how long after its instant's first tick the
		// last of its 1,000 runs started, in wall time (the first
		// instant's, before the timer, left out).
		var drain time.Duration
		measured := 0
		last := func(from time.Time) {
			mu.Lock()
			defer mu.Unlock()
			measured++
			var end time.Time
			for _, h := range started {
				if rep := h.Report(); rep != nil && rep.StartedAt.After(end) {
					end = rep.StartedAt
				}
			}
			started = started[:0]
			drain += end.Sub(from)
		}
		benchFire(b, rl, svc.History(), pbs, last)
		if measured > 0 {
			b.ReportMetric(float64(drain)/float64(time.Millisecond)/float64(measured), "last-start-ms")
		}
	})
}

// benchFire loads pbs and drives the scheduler's loop by hand, a second
// of the fake clock an op. ended, when not nil, is called after each
// second measured with the wall time the second began.
func benchFire(b *testing.B, l Launcher, st Store, pbs []*steps.Playbook, ended func(from time.Time)) {
	clock := NewFakeClock(time.Now().Truncate(time.Second))
	s, err := New(Config{Launcher: l, Store: st, Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Load(pbs); err != nil {
		b.Fatal(err)
	}
	var from time.Time
	second := func() {
		from = time.Now()
		target := clock.Now().Add(time.Second)
		for {
			d, _ := s.tick()
			now := clock.Now()
			if !now.Before(target) {
				break
			}
			clock.Advance(min(d, target.Sub(now)))
		}
		s.runs.Wait()
	}
	second() // the first instant: statements prepared, the cursors set
	b.ReportAllocs()
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	for b.Loop() {
		second()
		if ended != nil {
			ended(from)
		}
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	// The process's CPU, its collector's included: on a shared machine
	// the wall time of an op counts the other processes too.
	fires := float64(b.N * len(pbs))
	b.ReportMetric(float64(cpuTime(after)-cpuTime(before))/float64(time.Microsecond)/fires, "cpu-µs/fire")
}

// TestFireAllocs bounds the scheduler's own allocations a fire, from the
// decision to the run's end taken in, with slots kept in memory and runs
// that do nothing: a thousand playbooks @every 1s pay them a thousand
// times a second.
func TestFireAllocs(t *testing.T) {
	const n = 100
	pbs := make([]*steps.Playbook, n)
	for i := range pbs {
		pbs[i] = &steps.Playbook{Name: fmt.Sprintf("p%04d", i), File: fmt.Sprintf("p%04d.yaml", i),
			Schedule: &steps.Schedule{Cron: "@every 1s", Location: time.UTC, Overlap: "skip", Catchup: "none"}}
	}
	clock := NewFakeClock(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC))
	s, err := New(Config{Launcher: noopLauncher{}, Store: &memoryStore{last: map[string]time.Time{}}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(pbs); err != nil {
		t.Fatal(err)
	}
	second := func() {
		target := clock.Now().Add(time.Second)
		for {
			d, _ := s.tick()
			now := clock.Now()
			if !now.Before(target) {
				break
			}
			clock.Advance(min(d, target.Sub(now)))
		}
		s.runs.Wait()
	}
	second()
	got := testing.AllocsPerRun(20, second) / n
	t.Logf("%.2f allocations a fire", got)
	if got > fireAllocs {
		t.Errorf("a fire made %.2f allocations, more than the %.1f budgeted", got, fireAllocs)
	}
}

// fireAllocs is the budget a fire: lower it when a fire gets cheaper. A
// fire makes about 8.2 allocations; it made 11.2 when the close of a
// run's Logged went through a sync.OnceFunc.
const fireAllocs = 9.5

// noopLauncher starts runs that have ended when they start.
type noopLauncher struct{}

func (noopLauncher) Launch(context.Context, Job) (Handle, error) { return noopRun{"r"}, nil }
