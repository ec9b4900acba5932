package runs

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// stepRowsStore records the live step rows written; while gate is set,
// a write waits for it to close.
type stepRowsStore struct {
	store.Store
	mu      sync.Mutex
	rows    []string
	written chan struct{} // one token a write, once it is in
	gate    chan struct{}
}

func (s *stepRowsStore) RecordSteps(_ context.Context, _ string, rows []history.StepResult) error {
	s.written <- struct{}{}
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rows {
		s.rows = append(s.rows, r.StepID)
	}
	return nil
}

func (s *stepRowsStore) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rows...)
}

func stepFinished(runID, step string) engine.Event {
	return engine.Event{Kind: engine.EventStepFinished, RunID: runID, Step: step, Op: "control.noop", Status: "succeeded", Attempts: 1, Time: time.Now()}
}

// TestLiveRowsNeedNoGoroutineARun: a run's publisher records its live
// step rows without a goroutine of its own waiting for them. Before, each
// run started one, and a thousand scheduled runs a second started and
// woke a thousand goroutines that mostly wrote nothing (the run's report
// replaces its live rows).
func TestLiveRowsNeedNoGoroutineARun(t *testing.T) {
	s := &Service{store: &stepRowsStore{written: make(chan struct{}, 100)}}
	const n = 200
	before := runtime.NumGoroutine()
	pubs := make([]*publisher, n)
	for i := range pubs {
		pubs[i] = newPublisher(s, NewStream(), "r", true, false)
	}
	grown := runtime.NumGoroutine() - before
	for _, p := range pubs {
		p.replaced()
	}
	if grown >= n/2 {
		t.Errorf("%d publishers started %d goroutines", n, grown)
	}
}

// TestLiveRowsWrittenWhileTheRunGoes: rows of steps that finish are
// written while the run goes on, those that finish during a write by the
// next one, and close writes what is left; replaced drops it.
func TestLiveRowsWrittenWhileTheRunGoes(t *testing.T) {
	st := &stepRowsStore{written: make(chan struct{}, 100), gate: make(chan struct{})}
	p := newPublisher(&Service{store: st}, NewStream(), "r", true, false)
	p.Event(stepFinished("r", "a"))
	<-st.written // the first write, held at the gate
	p.Event(stepFinished("r", "b"))
	st.gate <- struct{}{}
	<-st.written // b's, armed again by the first write's end
	p.Event(stepFinished("r", "c"))
	st.gate <- struct{}{}
	closed := make(chan struct{})
	go func() {
		p.close()
		close(closed)
	}()
	// c's is written by the timer, or by close once it stopped it.
	<-st.written
	st.gate <- struct{}{}
	<-closed
	if got := st.got(); len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Errorf("rows written %q, want [a b c]", got)
	}

	st = &stepRowsStore{written: make(chan struct{}, 100), gate: make(chan struct{})}
	p = newPublisher(&Service{store: st}, NewStream(), "r", true, false)
	p.Event(stepFinished("r", "a"))
	<-st.written
	p.Event(stepFinished("r", "b")) // pending when the report comes
	replaced := make(chan struct{})
	go func() {
		p.replaced()
		close(replaced)
	}()
	for !p.isStopped() {
		runtime.Gosched() // the report came before the write ends
	}
	st.gate <- struct{}{}
	<-replaced
	p.Event(stepFinished("r", "c")) // after the report: never written
	if got := st.got(); len(got) != 1 || got[0] != "a" {
		t.Errorf("a replaced run wrote rows %q, want [a] alone", got)
	}
}

func (p *publisher) isStopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}
