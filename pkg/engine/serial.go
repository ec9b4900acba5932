package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/sourcegraph/conc/pool"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// runItems runs the items of a fan-out: all as one batch, or in serial:'s
// rolling batches, each batch started once the one before has finished.
// Within a batch at most concurrency items run at once (serial: without
// concurrency: runs a whole batch at once, up to steps.MaxConcurrency).
// After a batch, the next one is started only if the batch did not stop
// the step: fail_fast already cancelled ctx at the first failure;
// max_fail_percentage stops the step, and f.halt says why, when more than
// that share of the batch failed or was denied. Items never started are
// recorded cancelled by runItem, with the reason. Each rolling batch that
// starts is told by a batch_started and a batch_finished event and log
// line, naming its items by label (label gives item i's).
func (r *run) runItems(ctx context.Context, stop context.CancelCauseFunc, s *steps.Step, f *fan, n int, runItem func(int), label func(int) string, log zerolog.Logger) {
	size, conc := n, s.Concurrency
	if s.Serial != nil {
		size = s.Serial.BatchSize(n)
		if s.Serial.Parallel {
			// A whole batch at once, but no more than concurrency: may
			// ask for: serial: 50% of 20,000 items would otherwise start
			// 10,000 processes or connections together.
			conc = min(size, steps.MaxConcurrency)
		}
	}
	batches := (n + size - 1) / max(size, 1)
	var soFar ItemCounts
	for b, lo := 0, 0; lo < n; b, lo = b+1, lo+size {
		hi := min(lo+size, n)
		if s.Serial == nil || ctx.Err() != nil {
			// One batch, or a batch the stop leaves unstarted: no
			// events, as for its items.
			runBatch(ctx, lo, hi, conc, runItem)
			continue
		}
		bt := &Batch{Number: b + 1, Of: batches, First: lo, Last: hi - 1, FirstLabel: label(lo), LastLabel: label(hi - 1), SoFar: soFar}
		log.Info().Int("batch", bt.Number).Int("batches", batches).Int("done", soFar.Done()).
			Int("failed", soFar.Failed+soFar.Denied).Msg(bt.Title() + " started: " + bt.Span())
		r.emit(Event{Kind: EventBatchStarted, Step: s.ID, Op: s.Op, Section: string(s.Section), Items: n, Batch: bt})
		start := r.p.e.clock.Now()
		runBatch(ctx, lo, hi, conc, runItem)
		soFar.add(f.items[lo:hi])
		if hi < n && ctx.Err() == nil {
			if why := f.batchStops(s.Serial, b+1, batches, lo, hi); why != nil {
				f.halt = why
				stop(why)
			}
		}
		r.batchFinished(ctx, s, n, *bt, soFar, r.p.e.clock.Now().Sub(start), log)
	}
}

// batchFinished tells that rolling batch bt of step s, of n items, has
// finished, after d: the step's items so far, and, when the step stopped
// during or after it (a failure with fail_fast, max_fail_percentage,
// cancellation, a timeout), why no later batch starts.
func (r *run) batchFinished(ctx context.Context, s *steps.Step, n int, bt Batch, soFar ItemCounts, d time.Duration, log zerolog.Logger) {
	bt.SoFar = soFar
	ev := Event{Kind: EventBatchFinished, Step: s.ID, Op: s.Op, Section: string(s.Section), Items: n, Batch: &bt, DurationMS: d.Milliseconds()}
	line := log.Info()
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		ev.Err, ev.ErrClass = r.red.String(cause.Error()), string(ops.ClassOf(cause))
		line = log.Warn().Str("error_class", ev.ErrClass).Str("error", ev.Err)
	}
	line.Int("batch", bt.Number).Int("batches", bt.Of).Int("done", soFar.Done()).
		Int("failed", soFar.Failed+soFar.Denied).Int64("duration_ms", d.Milliseconds()).Msg(bt.Title() + " finished: " + bt.Span())
	r.emit(ev)
}

// Title is "batch 2 of 4".
func (b *Batch) Title() string { return fmt.Sprintf("batch %d of %d", b.Number, b.Of) }

// Span names the batch's items as messages name items: "items web-4 (#3)
// to web-6 (#5)", "items 3 to 5" without labels, "item web-4 (#3)" for
// one item.
func (b *Batch) Span() string {
	return spanOf(b.First, b.Last+1, func(i int) string {
		if i == b.First {
			return b.FirstLabel
		}
		return b.LastLabel
	})
}

// add counts items by their status.
func (c *ItemCounts) add(items []report.Item) {
	for _, it := range items {
		switch it.Status {
		case report.StatusSucceeded:
			c.Succeeded++
		case report.StatusFailed:
			c.Failed++
		case report.StatusDenied:
			c.Denied++
		case report.StatusCancelled:
			c.Cancelled++
		case report.StatusSkipped:
			c.Skipped++
		}
	}
}

// runBatch runs items lo..hi-1, at most conc at once, and returns when all
// have finished.
func runBatch(ctx context.Context, lo, hi, conc int, runItem func(int)) {
	if conc <= 1 || hi-lo <= 1 {
		for i := lo; i < hi; i++ {
			runItem(i)
		}
		return
	}
	p := pool.New().WithMaxGoroutines(min(conc, hi-lo))
	for i := lo; i < hi; i++ {
		if ctx.Err() != nil {
			runItem(i) // records the item as cancelled without a task
			continue
		}
		p.Go(func() { runItem(i) })
	}
	p.Wait()
}

// batchStops says why the batch of items lo..hi-1 stops the next one
// under max_fail_percentage, or nil. Ansible's rule: more than that share
// of the batch failed (or, here, was denied); exactly that share goes on.
func (f *fan) batchStops(sr *steps.Serial, b, batches, lo, hi int) error {
	if sr.MaxFailPercent < 0 {
		return nil
	}
	failed, denied := 0, 0
	for i := lo; i < hi; i++ {
		switch f.items[i].Status {
		case report.StatusFailed:
			failed++
		case report.StatusDenied:
			denied++
		}
	}
	if (failed+denied)*100 <= sr.MaxFailPercent*(hi-lo) {
		return nil
	}
	what := fmt.Sprintf("%d of %d items fail", failed, hi-lo)
	switch {
	case failed == 0:
		what = fmt.Sprintf("%d of %d items denied", denied, hi-lo)
	case denied > 0:
		what = fmt.Sprintf("%d of %d items fail or be denied (%d denied)", failed+denied, hi-lo, denied)
	}
	if hi-lo == 1 {
		// A batch of one item: it failed, or was denied, not "1 of 1
		// items".
		what = "failed"
		if failed == 0 {
			what = "was denied"
		}
		return ops.Errorf(ops.ClassCancelled, "batch %d of %d (%s) %s, over max_fail_percentage %d%%",
			b, batches, f.span(lo, hi), what, sr.MaxFailPercent)
	}
	return ops.Errorf(ops.ClassCancelled, "batch %d of %d (%s) had %s, over max_fail_percentage %d%%",
		b, batches, f.span(lo, hi), what, sr.MaxFailPercent)
}

// span names items lo..hi-1 as itemName does: "items web-3 (#2) to web-4
// (#3)" for hosts, "items 2 to 3" otherwise. Indexes alone, beside hosts
// named web-1 up, would send a reader to web-2 and web-3.
func (f *fan) span(lo, hi int) string {
	return spanOf(lo, hi, func(i int) string { return f.items[i].Label })
}

// spanOf is span with the items' labels given by label.
func spanOf(lo, hi int, label func(int) string) string {
	first := itemName(lo, label(lo))
	if hi-lo == 1 {
		return first
	}
	last := strings.TrimPrefix(itemName(hi-1, label(hi-1)), "item ")
	return "items " + strings.TrimPrefix(first, "item ") + " to " + last
}

// rollout is the error of a fan-out whose rollout max_fail_percentage
// stopped (f.halt), before msg, the error of the item that failed or was
// denied first: why the rollout stopped comes first, since the stop, not
// that item, which an earlier batch may have tolerated, is what ended the
// step. settle adds the other items that failed or were denied (see also).
func (f *fan) rollout(msg string) string {
	return "rollout stopped: " + f.halt.Error() + "; " + msg
}

// itemPreview is what the item events of an item without a label show of
// its (masked) value, for a page that follows the run to tell the item by:
// a boolean or number as it is, a string cut to maxLabel bytes, and
// anything else as compact JSON cut so. The report keeps the whole value.
func itemPreview(v any) any {
	switch x := v.(type) {
	case nil, bool, int, int64, float64:
		return report.Cap(x)
	case string:
		return report.CapString(x, maxLabel)
	}
	b, err := json.Marshal(report.Cap(v))
	if err != nil {
		return nil
	}
	return report.CapString(string(b), maxLabel)
}
