package engine

import (
	"fmt"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// Limits on what one run keeps of its operations' outputs.
const (
	// DefaultOutputBudget is how many bytes of step and item outputs a run
	// keeps in full (sub-runs included). Outputs recorded after it is spent
	// keep their numbers, booleans and short strings, and the tail of each
	// longer string; a fan-out of thousands of items each printing a
	// megabyte then costs megabytes, not gigabytes.
	DefaultOutputBudget = 64 << 20
	// compactTail is how much of the end of a long string an output over
	// the budget keeps.
	compactTail = 1 << 10
	// compactShort is the longest string an output keeps whole once even
	// the allowance for tails is spent.
	compactShort = 64
	// compactList is how many entries of a list or map a compacted output
	// keeps.
	compactList = 16
	// ReportItemsInFull is how many items of a fan-out the report records
	// with their item value and output. Past it, the items that succeeded
	// keep their index, status, timing and attempts only; the others keep
	// their error and a compact item and output. The step's item_counts
	// keep the totals.
	ReportItemsInFull = 1000
)

// outputBudget counts the output bytes a run keeps. A sub-run shares its
// parent's. It is safe for concurrent use.
type outputBudget struct {
	limit int64
	used  atomic.Int64
	// tails counts what compacted outputs keep; once it passes a quarter
	// of the limit, compacted outputs keep short values only.
	tails   atomic.Int64
	cut     atomic.Int64 // outputs compacted
	cutSize atomic.Int64 // bytes dropped
	// msgs is the budget of the attempt log's messages, shared as this
	// one is.
	msgs messageBudget
}

// budgetLimit is the limit of a budget set to limit: the default when
// none is set.
func budgetLimit(limit int64) int64 {
	if limit <= 0 {
		return DefaultOutputBudget
	}
	return limit
}

// keep accounts an operation's output and returns what the run keeps of
// it: the output itself while the budget lasts, else a compact copy. cut
// is the number of bytes dropped, 0 when it was kept whole.
func (b *outputBudget) keep(out map[string]any) (kept map[string]any, cut int64) {
	if out == nil {
		return nil, 0
	}
	size := int64(sizeOver(out, int(min(b.limit, 1<<40))))
	if b.used.Add(size) <= b.limit {
		return out, 0
	}
	b.used.Add(-size)
	tail := compactTail
	if b.tails.Load() > b.limit/4 {
		tail = 0
	}
	var dropped int64
	c, _ := compact(out, tail, 0, &dropped).(map[string]any)
	b.tails.Add(int64(sizeOver(c, int(size))))
	if dropped == 0 {
		return out, 0 // small enough already
	}
	b.cut.Add(1)
	b.cutSize.Add(dropped)
	return c, dropped
}

// compact returns a small copy of v: numbers, booleans and nulls as they
// are; strings up to tail bytes whole, longer ones as a marker and their
// last tail bytes (with tail 0, strings up to compactShort bytes whole and
// longer ones as a marker only); lists and maps cut to compactList entries.
// It adds the bytes of string data it drops to *dropped; entries of lists
// and maps it drops count by their size.
func compact(v any, tail, depth int, dropped *int64) any {
	switch x := v.(type) {
	case string:
		keep := tail
		if tail == 0 {
			if len(x) <= compactShort {
				return x
			}
			*dropped += int64(len(x))
			return fmt.Sprintf("[cut %d bytes: over the run's output budget]", len(x))
		}
		if len(x) <= keep {
			return x
		}
		start := len(x) - keep
		for start < len(x) && !utf8.RuneStart(x[start]) {
			start++
		}
		*dropped += int64(start)
		return fmt.Sprintf("…[cut %d bytes: over the run's output budget]…\n", start) + strings.ToValidUTF8(x[start:], "\uFFFD")
	case []any:
		if depth >= 4 {
			*dropped += int64(sizeOver(x, 1<<40))
			return fmt.Sprintf("[cut: a list of %d items, over the run's output budget]", len(x))
		}
		n := min(len(x), compactList)
		out := make([]any, 0, n+1)
		for _, it := range x[:n] {
			out = append(out, compact(it, tail, depth+1, dropped))
		}
		if len(x) > n {
			*dropped += int64(sizeOver(x[n:], 1<<40))
			out = append(out, fmt.Sprintf("[cut: %d more items, over the run's output budget]", len(x)-n))
		}
		return out
	case map[string]any:
		if depth >= 4 {
			*dropped += int64(sizeOver(x, 1<<40))
			return fmt.Sprintf("[cut: a map of %d keys, over the run's output budget]", len(x))
		}
		out := make(map[string]any, min(len(x), compactList+1))
		for i, k := range sortedKeys(x) {
			if i == compactList {
				out["[cut]"] = fmt.Sprintf("%d more keys, over the run's output budget", len(x)-compactList)
				for _, k := range sortedKeys(x)[i:] {
					*dropped += int64(len(k) + sizeOver(x[k], 1<<40))
				}
				break
			}
			out[k] = compact(x[k], tail, depth+1, dropped)
		}
		return out
	}
	return v
}

// reportBudget is what the report says about the budget, nil when nothing
// was cut.
func (b *outputBudget) report() *report.OutputBudget {
	if b.cut.Load() == 0 {
		return nil
	}
	return &report.OutputBudget{LimitBytes: b.limit, KeptBytes: b.used.Load(), CutOutputs: b.cut.Load(), CutBytes: b.cutSize.Load()}
}
