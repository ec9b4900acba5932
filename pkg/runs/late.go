package runs

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// The end of a run is recorded in the history when the run ends. A store
// that refuses it (a shared database away for longer than its own
// retries, a full disk) would leave the run `running` in the history for
// as long as this process lives, since its heartbeat says it is alive, and
// an executed operation, recorded only at its end, would leave no row. So
// the ends the store refused are kept here and recorded again every
// lateEvery, in the order the runs ended, until the store takes them or
// the service closes, which tries once more.

// lateEvery is how often the ends the store refused are recorded again.
var lateEvery = 10 * time.Second

// lateOnClose bounds the last try when the service closes, so that a
// store still away does not hold a shutdown for as long as its retries.
const lateOnClose = 5 * time.Second

// lateMax bounds the ends kept; past it the oldest is given up, with a
// warning.
const lateMax = 10_000

type lateEnd struct {
	f history.Finished
	// whole: the run has no start row (an executed operation), and is
	// recorded with RecordFinished; else with RecordFinish.
	whole bool
	tries int
}

func (s *Service) recordEnd(ctx context.Context, e lateEnd) error {
	if e.whole {
		return s.store.RecordFinished(ctx, []history.Finished{e.f})
	}
	return s.store.RecordFinish(ctx, e.f.Report, e.f.ReportPath, e.f.PlaybookPath)
}

// lateTries is how often an end is recorded again before it is given up:
// about an hour when it is the only one.
const lateTries = 360

// lateEnds is the Service's list of ends to record again, with the
// goroutine that does, which runs only while the list is not empty.
type lateEnds struct {
	mu      sync.Mutex
	ends    []lateEnd
	running bool
	closed  bool
	dropped int // ends given up since the last warning about it
	// droppedFirst is the run of the first of them.
	droppedFirst string
	// refused is the store's latest refusal of an end kept here;
	// trying counts the ends retryLate holds, out of ends.
	refused error
	trying  int
	// ctx bounds the recording goroutine's tries; closing cancels it,
	// so that a try against a store still away does not hold Close for
	// the store's own retries.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// recordFinish records the end of a run, or keeps it to record again
// later when the store refuses it; the error says so. pbPath is the
// playbook's absolute path (steps.Playbook.AbsPath).
func (s *Service) recordFinish(rep *report.Report, statePath, pbPath string) error {
	err := s.store.RecordFinish(context.Background(), rep, statePath, pbPath)
	if err == nil {
		return nil
	}
	if !s.keepLate(err, lateEnd{f: history.Finished{Report: rep, ReportPath: statePath, PlaybookPath: pbPath}}) {
		return err
	}
	return fmt.Errorf("%w (it is recorded again every %s while this process runs)", err, short.Duration(lateEvery))
}

// recordFinished records runs whole (executed operations), or keeps them
// to record again later when the store refuses them, and warns.
func (s *Service) recordFinished(batch []history.Finished) {
	err := s.store.RecordFinished(context.Background(), batch)
	if err == nil {
		return
	}
	ends := make([]lateEnd, len(batch))
	for i, f := range batch {
		ends[i] = lateEnd{f: f, whole: true}
	}
	warn := s.warn
	if len(batch) == 1 {
		// One execute's line carries its run id.
		warn = func(format string, args ...any) { s.warnRun(batch[0].Report.RunID, format, args...) }
	}
	if s.keepLate(err, ends...) {
		warn("%s (recorded again every %s while this process runs)", historyErr(err), short.Duration(lateEvery))
		return
	}
	warn("%s", historyErr(err))
}

// keepLate keeps ends, which the store refused with err, to record
// again, unless the service is closing.
func (s *Service) keepLate(err error, ends ...lateEnd) bool {
	l := &s.late
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.refused = err
	for _, e := range ends {
		if len(l.ends) >= lateMax {
			if l.dropped == 0 {
				id := l.ends[0].f.Report.RunID
				s.warnRun(id, "history: the end of run %s is given up: %d more ends wait to be recorded", id, len(l.ends))
				l.droppedFirst = id
			}
			l.dropped++
			l.ends = l.ends[1:]
		}
		l.ends = append(l.ends, e)
	}
	if !l.running {
		l.running = true
		if l.ctx == nil {
			l.ctx, l.cancel = context.WithCancel(context.Background())
		}
		l.wg.Add(1)
		go s.recordLate()
	}
	return true
}

// recordLate records the kept ends every lateEvery until none is left or
// the service closes.
func (s *Service) recordLate() {
	l := &s.late
	defer l.wg.Done()
	t := time.NewTicker(lateEvery)
	defer t.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-t.C:
		}
		if s.retryLate(l.ctx) {
			return
		}
	}
}

// retryLate records the kept ends in order, and stops at the first the
// store still refuses (it is likely still away), which goes to the back:
// an end the store can never take does not hold the others for ever, and
// is given up after lateTries. It reports whether none is left, and then
// marks the goroutine stopped.
func (s *Service) retryLate(ctx context.Context) (done bool) {
	l := &s.late
	l.mu.Lock()
	ends := l.ends
	l.ends, l.trying = nil, len(ends)
	l.mu.Unlock()
	n, first := 0, ""
	var rest, back []lateEnd // not tried this time; refused, to the back
	for i, e := range ends {
		err := s.recordEnd(ctx, e)
		if err == nil {
			if n++; n == 1 {
				first = e.f.Report.RunID
			}
			continue
		}
		if e.tries++; e.tries < lateTries {
			back = []lateEnd{e}
		} else {
			s.warnRun(e.f.Report.RunID, "history: the end of run %s is given up after %d tries: %v", e.f.Report.RunID, e.tries, err)
		}
		rest = ends[i+1:]
		l.mu.Lock()
		l.refused = err
		l.mu.Unlock()
		break
	}
	// A line about several runs carries the first one's id, which its
	// text names, so that a search of the log by run_id finds it.
	switch {
	case n == 1:
		s.warnRun(first, "history: the end of run %s is recorded at last", first)
	case n > 1:
		s.warnRun(first, "history: the ends of %d runs are recorded at last, the first %s", n, first)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dropped > 0 {
		s.warnRun(l.droppedFirst, "history: the ends of %d run(s) were given up, the first %s: more than %d waited to be recorded", l.dropped, l.droppedFirst, lateMax)
		l.dropped, l.droppedFirst = 0, ""
	}
	l.ends, l.trying = slices.Concat(rest, l.ends, back), 0
	if len(l.ends) == 0 {
		l.running = false
		return true
	}
	return false
}

// Unrecorded is how many ends of runs (and executed operations) the store
// refused and that wait to be recorded again, and the store's latest
// refusal of one (nil when none waits): a full disk, a history.db another
// process holds, a database away for longer than its retries.
func (s *Service) Unrecorded() (int, error) {
	l := &s.late
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.ends) + l.trying; n > 0 {
		return n, l.refused
	}
	return 0, nil
}

// closeLate stops recording again, tries the kept ends once more, and
// warns about those the store still refuses: they stay `running` until
// another process takes this one for dead (or, for a run whose end took
// the place of its start, one that changed nothing, have no row).
func (s *Service) closeLate() {
	l := &s.late
	l.mu.Lock()
	l.closed = true
	stopLoop := l.cancel
	l.mu.Unlock()
	if stopLoop == nil {
		return
	}
	stopLoop()
	l.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), lateOnClose)
	defer cancel()
	s.retryLate(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ends) > 0 {
		first := l.ends[0].f.Report.RunID
		s.warnRun(first, "history: the end of %d run(s) could not be recorded, the first %s", len(l.ends), first)
	}
}
