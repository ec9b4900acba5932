package runs

import (
	"context"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// InterruptSweep is how often a long-lived front end on a state dir
// (serve) marks interrupted the runs of other processes on that dir that
// died, when it sets Config.InterruptSweep to it. NewService marks them
// once; without the sweep, a run whose `arsenal-run run` was killed would
// show `running` in the API, the console and its event stream for as
// long as serve lives, until some other process opened the state dir.
// One sweep reads the index of running runs and probes one lock file per
// process that has any, so a few seconds cost next to nothing.
const InterruptSweep = 2 * time.Second

// interruptSweep is the goroutine that marks dead processes' runs
// interrupted every Config.InterruptSweep; the Service owns it and
// Close ends it before the store closes.
type interruptSweep struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startInterruptSweep marks the runs of dead processes interrupted every
// every, until stop. A sweep that fails (the database locked past its
// busy timeout) is tried again at the next tick.
func (s *Service) startInterruptSweep(st *history.Store, every time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	s.sweep.cancel = cancel
	s.sweep.wg.Add(1)
	go func() {
		defer s.sweep.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			st.MarkInterrupted(ctx)
		}
	}()
}

// stopInterruptSweep ends the sweep, if any, and waits for it.
func (s *Service) stopInterruptSweep() {
	if s.sweep.cancel == nil {
		return
	}
	s.sweep.cancel()
	s.sweep.wg.Wait()
}
