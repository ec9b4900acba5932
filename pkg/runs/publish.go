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
	// records: finished steps are recorded live. Their rows wait in
	// pending for a timer armed by the first of them, not for a goroutine
	// of the run's own: most runs end before it fires, and a thousand
	// runs a second would start a thousand goroutines that only wait.
	records bool
	timer   *time.Timer    // made by the first row; armed while one waits
	armed   bool           // the timer is set, or its write is under way
	writing sync.WaitGroup // one while armed
	stopped bool
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
	p.records = s.store != nil
	return p
}

// Event implements engine.Observer. It never blocks on a subscriber.
func (p *publisher) Event(ev engine.Event) {
	if p.stream == nil {
		// Nobody subscribes (an executed operation): no copy either.
		return
	}
	if ev.Kind == engine.EventRunFinished && ev.Report != nil {
		// Subscribers read the report while the service signs and writes
		// it: they get a copy of its record.
		c := *ev.Report
		ev.Report = &c
	}
	if p.live != nil {
		p.live.apply(ev)
	}
	p.stream.Publish(ev)
	if !p.records {
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
	defer p.mu.Unlock()
	p.pending = append(p.pending, res)
	if p.armed || p.stopped {
		return
	}
	p.armed = true
	p.writing.Add(1)
	if p.timer == nil {
		p.timer = time.AfterFunc(liveRowDelay, p.write)
	} else {
		p.timer.Reset(liveRowDelay)
	}
}

// write is the timer's: it writes the rows pending, at most liveRowDelay
// after the first of them finished, and arms the timer again for those
// that finished meanwhile. One write at a time: the timer is armed again
// only once this one is done.
func (p *publisher) write() {
	p.flush()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) > 0 && !p.stopped {
		p.timer.Reset(liveRowDelay)
		return
	}
	p.armed = false
	p.writing.Done()
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

// close writes what is pending and stops the recording; the run's final
// rows come from its report afterwards.
func (p *publisher) close() { p.stop(false) }

// replaced stops the recording and drops what is pending: the run has a
// report, whose rows replace the live ones.
func (p *publisher) replaced() { p.stop(true) }

func (p *publisher) stop(discard bool) {
	p.once.Do(func() {
		if !p.records {
			return
		}
		p.mu.Lock()
		p.discard, p.stopped = discard, true
		if p.armed && p.timer.Stop() {
			// Not fired: nothing writes, and nothing will.
			p.armed = false
			p.writing.Done()
		}
		p.mu.Unlock()
		// A write under way ends without arming the timer again.
		p.writing.Wait()
		p.flush()
	})
}
