package cli

import (
	"fmt"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// batch follows the rolling batches of a serial: fan-out: the running
// step's row names the batch under way, and each batch that finishes
// leaves a line, as Ansible heads each batch of a play, so that the
// screen tells how the rollout went batch by batch; the line of a batch
// after which no batch starts says why, in yellow. With quiet, the row
// alone says it.
func (v *liveView) batch(ev engine.Event) {
	s, b := v.running[ev.Step], ev.Batch
	if s == nil || b == nil {
		return
	}
	if ev.Kind == engine.EventBatchStarted {
		s.batch = batchRow(b)
		return
	}
	if v.quiet {
		return
	}
	line := fmt.Sprintf("%s finished in %s, %d/%d items done", batchRow(b), report.FormatMS(ev.DurationMS), b.SoFar.Done(), ev.Items)
	if n := b.SoFar.Failed + b.SoFar.Denied; n > 0 {
		line += fmt.Sprintf(", %d failed", n)
		if b.SoFar.Denied > 0 {
			line += fmt.Sprintf(" (%d denied)", b.SoFar.Denied)
		}
	}
	mark := v.p.dim("›")
	if ev.Err != "" {
		mark = v.p.yellow("!")
		line += "; rollout stopped: " + termtext.Line(firstLine(ev.Err))
	}
	v.print(fmt.Sprintf("%s %s  %s", mark, v.p.dim(termtext.Line(ev.Step)), line))
}

// batchRow names a rolling batch by its first and last items' labels
// ("batch 2 of 4: web-4..web-6"), or their indexes when they have none
// ("batch 2 of 4: #3..#5").
func batchRow(b *engine.Batch) string {
	name := func(i int, label string) string {
		if label != "" { // user data: cleaned as output lines are
			return termtext.Line(label)
		}
		return fmt.Sprintf("#%d", i)
	}
	row := fmt.Sprintf("batch %d of %d: %s", b.Number, b.Of, name(b.First, b.FirstLabel))
	if b.Last != b.First {
		row += ".." + name(b.Last, b.LastLabel)
	}
	return row
}
