package engine

import (
	"fmt"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// Limits on what one run's report keeps of its tries' error messages.
const (
	// attemptMessageShare: the attempt log's messages of a run (sub-runs
	// included) keep up to 1/attemptMessageShare of its output budget
	// whole (4 MiB of the default 64 MiB). Each keeps up to
	// report.MaxAttemptMessage already, but 1,000 items tried 50 times
	// each would still make a report of over 50 MB out of them.
	attemptMessageShare = 16
	// attemptMessageHead is how much of the first line of a message a
	// try keeps once the budget is spent: what went wrong, not the
	// stderr after it.
	attemptMessageHead = 120
)

// messageBudget counts the bytes of attempt messages a run's report
// keeps. A sub-run shares its parent's (a part of outputBudget). It is
// safe for concurrent use.
type messageBudget struct {
	limit   int64
	used    atomic.Int64
	cut     atomic.Int64 // messages cut
	cutSize atomic.Int64 // bytes dropped
}

// keep accounts a try's message and returns what the report keeps of
// it: the message while the budget lasts, else the head of its first
// line and how much was cut.
func (b *messageBudget) keep(msg string) string {
	if b.used.Add(int64(len(msg))) <= b.limit {
		return msg
	}
	b.used.Add(-int64(len(msg)))
	head, _, _ := strings.Cut(msg, "\n")
	if len(head) > attemptMessageHead {
		end := attemptMessageHead
		for end > 0 && !utf8.RuneStart(head[end]) {
			end--
		}
		head = head[:end]
	}
	if len(head) == len(msg) {
		return msg // short enough already
	}
	dropped := len(msg) - len(head)
	b.cut.Add(1)
	b.cutSize.Add(int64(dropped))
	return head + fmt.Sprintf(" …[cut %d bytes: over the run's budget for attempt messages]", dropped)
}

// report is what the report says about the budget, nil when nothing
// was cut.
func (b *messageBudget) report() *report.AttemptBudget {
	if b.cut.Load() == 0 {
		return nil
	}
	return &report.AttemptBudget{LimitBytes: b.limit, KeptBytes: b.used.Load(), CutMessages: b.cut.Load(), CutBytes: b.cutSize.Load()}
}
