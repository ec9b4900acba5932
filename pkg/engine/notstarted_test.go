package engine

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestItemsNotStartedHaveAClass: the items a fan-out never started carry
// an error as a step never started does, class cancelled (timeout when a
// timeout stopped it), so that --json and the report classify every item
// that did not succeed; the summary still says they did not start.
func TestItemsNotStartedHaveAClass(t *testing.T) {
	e, _ := newEngine(t)
	for _, c := range []struct{ name, src, class string }{
		{"fail_fast", `
steps:
  - id: fan
    op: test.busy
    foreach: 0..3
    concurrency: 1
    fail_fast: true
    with: {fail: "${{ item == 0 }}"}
`, "cancelled"},
		{"timeout", `
timeout: 200ms
steps:
  - id: fan
    op: test.busy
    foreach: 0..3
    concurrency: 1
    with: {wait: 1m}
`, "timeout"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := mustRun(t, plan(t, e, header+c.src), nil)
			fan := stepOf(t, rep, "fan")
			for _, it := range fan.Items[1:] {
				if it.Status != report.StatusCancelled || it.StartedAt != nil {
					t.Fatalf("item %d: %s, started %v; want cancelled before it started", it.Index, it.Status, it.StartedAt)
				}
				if it.Error == nil || it.Error.Class != c.class || !strings.HasPrefix(it.Reason, "not started: ") || !strings.HasSuffix(it.Reason, it.Error.Message) {
					t.Errorf("item %d: error %+v, reason %q; want class %s and the reason's cause", it.Index, it.Error, it.Reason, c.class)
				}
			}
			var b strings.Builder
			if err := report.WriteMarkdown(&b, rep); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "| 1 | 1 | ⏹️ cancelled | – | 0 | not started: ") {
				t.Errorf("markdown does not say item 1 did not start:\n%s", b.String())
			}
		})
	}
}
