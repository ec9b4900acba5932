package history

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkClaimSlots1000 measures what the scheduler does every second
// for 1,000 playbooks scheduled @every 1s: claim the second's 1,000 slots,
// one per playbook, in one call. Each iteration is the next second, so the
// slot table grows as it does between two hourly prunes. fired: every
// slot starts a run; skipped: none does, and each gets its run row too,
// as when the previous runs are still going. Besides the mean it reports
// the median and the slowest call (the scheduler's fire delay follows the
// slow ones), and the process's CPU time a slot.
func BenchmarkClaimSlots1000(b *testing.B) {
	for _, outcome := range []SlotOutcome{SlotFired, SlotSkipped} {
		b.Run(string(outcome), func(b *testing.B) {
			s, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			const n = 1000
			refs := make([]ScheduleRef, n)
			for i := range refs {
				refs[i] = ScheduleRef{Playbook: fmt.Sprintf("p%04d", i), Fingerprint: "@every 1s"}
			}
			if _, err := s.TrackSchedules(ctx, t0, refs); err != nil {
				b.Fatal(err)
			}
			slots := make([]Slot, n)
			sec := 0
			var took []time.Duration
			cpu0 := cpuTime()
			for b.Loop() {
				sec++
				slot := t0.Add(time.Duration(sec) * time.Second)
				for i, r := range refs {
					slots[i] = Slot{Playbook: r.Playbook, Path: r.Playbook + ".yaml", Slot: slot, Outcome: outcome, At: slot.Add(time.Millisecond)}
					if outcome == SlotSkipped {
						slots[i].BlockedBy, slots[i].Message = "r1", "skipped: run r1 was still running (overlap: skip)"
					}
				}
				start := time.Now()
				claimed, err := s.ClaimSlots(ctx, slots)
				took = append(took, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				for i, ok := range claimed {
					if !ok {
						b.Fatalf("second %d: slot of %s refused", sec, slots[i].Playbook)
					}
				}
			}
			// CPU time a slot: steadier than wall time on a machine
			// shared with other work.
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(len(took)*n)/1000, "cpu-µs/slot")
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2])/float64(time.Millisecond), "p50-ms")
			b.ReportMetric(float64(took[len(took)-1])/float64(time.Millisecond), "max-ms")
		})
	}
}
