package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

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
// recorded cancelled by runItem, with the reason.
func (r *run) runItems(ctx context.Context, stop context.CancelCauseFunc, s *steps.Step, f *fan, n int, runItem func(int), log zerolog.Logger) {
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
	for b, lo := 0, 0; lo < n; b, lo = b+1, lo+size {
		hi := min(lo+size, n)
		if s.Serial != nil && ctx.Err() == nil {
			log.Debug().Str("step", s.ID).Msgf("batch %d of %d: items %d to %d", b+1, batches, lo, hi-1)
		}
		runBatch(ctx, lo, hi, conc, runItem)
		if s.Serial != nil && hi < n && ctx.Err() == nil {
			if why := f.batchStops(s.Serial, b+1, batches, lo, hi); why != nil {
				f.halt = why
				stop(why)
			}
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
	first := itemName(lo, f.items[lo].Label)
	if hi-lo == 1 {
		return first
	}
	last := strings.TrimPrefix(itemName(hi-1, f.items[hi-1].Label), "item ")
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

// itemLabel names an item for people: the name of a host that
// inventory.hosts gave, or of any map item with a string name, with the
// run's secrets masked, then cut to maxLabel bytes (on a character
// boundary). Masked before it is cut: a secret cut in two no longer
// matches, and its first part would show.
func (r *run) itemLabel(item any) string {
	m, ok := item.(map[string]any)
	if !ok {
		return ""
	}
	name, _ := m["name"].(string)
	if name == "" {
		return ""
	}
	name = r.red.String(name)
	if len(name) > maxLabel {
		cut := maxLabel
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut]
	}
	return name
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

// maxLabel bounds an item's label in bytes.
const maxLabel = 200
