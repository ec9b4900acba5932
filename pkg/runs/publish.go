package runs

import (
	"context"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// liveRowDelay is how long a finished step's history row may wait, so
// that the steps finishing meanwhile share its transaction, and a run
// shorter than this writes no live rows at all: its report's rows replace
// them at its end anyway. It is also the most a run whose process dies
// can lose of the steps it finished.
const liveRowDelay = 100 * time.Millisecond

// publisher turns the engine's events into the run's stream, and records
// each finished step in history soon after it finishes, in the background
// and in batches, so that neither a subscriber nor the database slows the
// run.
type publisher struct {
	s      *Service
	stream *Stream
	runID  string
	dry    bool     // a dry run's: its rows say so (StepResult.DryRun)
	live   *liveRun // nil: no snapshot is kept
	// start is the run's start on its way to the history: its step rows
	// wait for it (they refer to its row).
	start *startRecord

	mu      sync.Mutex
	nested  nestedRows // names the rows of the sub-runs' steps
	pending []history.StepResult
	discard bool // the report's rows replace the pending ones
	kick    chan struct{}
	closing chan struct{}
	done    chan struct{}
	once    sync.Once
}

// newPublisher returns the publisher of a run. Without events, it keeps
// no replay and records no live history rows (an executed operation, that
// nobody can subscribe to and that history records at its end).
func newPublisher(s *Service, stream *Stream, runID string, events, dry bool) *publisher {
	p := &publisher{s: s, runID: runID, dry: dry}
	if !events {
		return p
	}
	p.stream = stream
	if s.store != nil {
		p.kick = make(chan struct{}, 1)
		p.closing = make(chan struct{})
		p.done = make(chan struct{})
		go p.record()
	}
	return p
}

// Event implements engine.Observer. It never blocks on a subscriber.
func (p *publisher) Event(ev engine.Event) {
	if ev.Kind == engine.EventRunFinished && ev.Report != nil {
		// Subscribers read the report while the service signs and writes
		// it: they get a copy of its record.
		c := *ev.Report
		ev.Report = &c
	}
	if p.stream == nil {
		return
	}
	if p.live != nil {
		p.live.apply(ev)
	}
	p.stream.Publish(ev)
	if p.kick == nil {
		return
	}
	p.mu.Lock()
	id, section, ok := p.nested.name(p.runID, ev)
	p.mu.Unlock()
	if !ok {
		return
	}
	var res history.StepResult
	switch ev.Kind {
	case engine.EventStepFinished:
		res = history.StepResult{StepID: id, Op: ev.Op, Item: -1}
	case engine.EventItemFinished:
		if ev.Index == nil {
			return
		}
		res = history.StepResult{StepID: id, Op: ev.Op, Item: *ev.Index}
	default:
		return
	}
	res.Section, res.Attempts, res.Status, res.ErrorClass = section, ev.Attempts, report.Status(ev.Status), ev.ErrClass
	if ev.Kind == engine.EventStepFinished {
		res.Items = ev.Items
	}
	res.DurationMS, res.Ignored, res.DryRun = ev.DurationMS, ev.Ignored, p.dry
	// A step that ran has a start; a reused one's figures are those of
	// the run that ran it, and its row is no call of this run.
	if !ev.Reused && (ev.DurationMS > 0 || ev.Attempts > 0) {
		res.StartedAt = ev.Time.Add(-time.Duration(ev.DurationMS) * time.Millisecond)
	}
	p.mu.Lock()
	p.pending = append(p.pending, res)
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// record writes pending rows, at most liveRowDelay after they finished,
// until close.
func (p *publisher) record() {
	defer close(p.done)
	defer p.flush()
	delay := time.NewTimer(liveRowDelay)
	delay.Stop()
	for {
		select {
		case <-p.kick:
		case <-p.closing:
			return
		}
		delay.Reset(liveRowDelay)
		select {
		case <-delay.C:
		case <-p.closing:
			return
		}
		p.flush()
	}
}

func (p *publisher) flush() {
	p.mu.Lock()
	rows := p.pending
	p.pending = nil
	if p.discard {
		rows = nil
	}
	p.mu.Unlock()
	if len(rows) == 0 {
		return
	}
	if p.start != nil {
		p.start.wait()
	}
	if err := p.s.store.RecordSteps(context.Background(), p.runID, rows); err != nil {
		p.s.warnRun(p.runID, "%s", historyErr(err))
	}
}

// close writes what is pending and stops the recorder; the run's final
// rows come from its report afterwards.
func (p *publisher) close() { p.stop(false) }

// replaced stops the recorder and drops what is pending: the run has a
// report, whose rows replace the live ones.
func (p *publisher) replaced() { p.stop(true) }

func (p *publisher) stop(discard bool) {
	p.once.Do(func() {
		if p.kick != nil {
			p.mu.Lock()
			p.discard = discard
			p.mu.Unlock()
			close(p.closing)
			<-p.done
		}
	})
}
