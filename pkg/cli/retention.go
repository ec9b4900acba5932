package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
)

// addRetentionFlags defines --keep-runs and --keep-days, the history
// retention of run, schedule and serve, into keepRuns and keepDays: one
// meaning, one help text and one check (retentionProblem) for the three.
// pre starts each usage line, for run's "with a state dir: ".
func addRetentionFlags(fs *flagSet, keepRuns, keepDays *int, pre string) {
	fs.IntVar(keepRuns, "keep-runs", 0, pre+"keep the newest `N` runs of each playbook in the history; skipped and missed slots are not runs and do not count (0 = all)")
	fs.Var(daysFlag{keepDays}, "keep-days", pre+"drop runs older than `D` days from the history, as 7 or 7d (0 = never)")
}

// daysFlag is --keep-days: a whole number of days, with or without the d
// that --since takes (7 or 7d), so the form one flag accepts is not
// refused by the other.
type daysFlag struct{ n *int }

func (d daysFlag) String() string {
	if d.n == nil {
		return "0"
	}
	return strconv.Itoa(*d.n)
}

func (d daysFlag) Get() any { return *d.n }

func (d daysFlag) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(s), "d"))
	switch {
	case errors.Is(err, strconv.ErrRange):
		return fmt.Errorf("%s is more days than can be counted; give 0 to never drop runs by age", s)
	case err != nil:
		return fmt.Errorf("%q is not a number of days; it counts whole days: give one like 7 or 7d (0 = never)", s)
	}
	*d.n = n
	return nil
}

// retentionProblem is the usage error of the retention flags, or "".
func retentionProblem(keepRuns, keepDays int) string {
	// Name the flag given wrong, and only its value: "not -1 and 0"
	// read as though both had been given.
	if keepRuns < 0 {
		return fmt.Sprintf("--keep-runs must be 0 (keep every run) or more, not %d", keepRuns)
	}
	if keepDays < 0 {
		return fmt.Sprintf("--keep-days must be 0 (never drop runs by age) or more, not %d", keepDays)
	}
	return ""
}

// retentionSweep is how often serve prunes its history besides after each
// run. The run service prunes when a playbook run ends, but not when an
// execute (POST /api/v1/operations/{op}/execute, recorded as a run of the
// playbook execute-OP) does: those are recorded in batches, at up to
// thousands a second, and a prune per execute would cost more than the
// execute. So a serve that mostly executes never pruned. Every minute
// bounds what executes can add beyond --keep-runs to a minute's worth,
// and a sweep with nothing to delete is a few index reads.
const retentionSweep = time.Minute

// pruner is the part of a store the sweep uses.
type pruner interface {
	Prune(ctx context.Context, keepRuns, keepDays int) ([]string, error)
}

// pruneTimeout bounds one sweep. A first sweep over a long history may
// delete millions of rows; it deletes them in batches, and one cut short
// keeps what it deleted: the next sweep goes on from there.
const pruneTimeout = 10 * time.Minute

// sweepHistory prunes st as keepRuns and keepDays say at once, then at
// every tick, until stop is called; stop returns once no sweep is going,
// so the store can be closed after it. Each sweep's outcome goes to done,
// first says whether it is the one at start. The first sweep does not
// hold up the start: on a history that never had a retention it may take
// a while, and the API and the schedules need not wait for it.
func sweepHistory(st pruner, keepRuns, keepDays int, ticks <-chan time.Time, done func(first bool, removed []string, err error)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sweep := func(first bool) {
			pctx, pcancel := context.WithTimeout(ctx, pruneTimeout)
			defer pcancel()
			removed, err := st.Prune(pctx, keepRuns, keepDays)
			if ctx.Err() != nil {
				return // stopped: the daemon is going, no news is wanted
			}
			done(first, removed, err)
		}
		sweep(true)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticks:
				sweep(false)
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}

// startRetention starts serve's sweep of the history, when --keep-runs or
// --keep-days asks for one; the returned func stops it.
func (d *daemon) startRetention(st pruner) (stop func()) {
	o := d.o
	if st == nil || (o.keepRuns == 0 && o.keepDays == 0) {
		return func() {}
	}
	t := time.NewTicker(retentionSweep)
	limits := fmt.Sprintf("--keep-runs %d, --keep-days %d", o.keepRuns, o.keepDays)
	end := sweepHistory(st, o.keepRuns, o.keepDays, t.C, func(first bool, removed []string, err error) {
		switch {
		case err != nil:
			d.warnf("could not prune the history (%s): %v; it is tried again in %s", limits, err, short.Duration(retentionSweep))
		case first:
			d.infof("pruned the history at start (%s): %s removed; it is pruned after every run and every %s", limits, plural(len(removed), "report file", "report files"), short.Duration(retentionSweep))
		case len(removed) > 0:
			d.log.Debug().Int("report_files", len(removed)).Msg("pruned the history")
		}
	})
	return func() {
		t.Stop()
		end()
	}
}
