package history

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRecordRunsConcurrently measures runs that start and finish ten
// at a time, as a scheduler's or a server's do: each records its start,
// then its end from a report of three steps. Per run; the writes of runs
// that arrive together share a commit (grouped).
func BenchmarkRecordRunsConcurrently(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(5) // 10 writers on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("run-%d", n.Add(1))
			if err := s.RecordStart(ctx, Run{ID: id, Playbook: "p", Trigger: TriggerSchedule}); err != nil {
				b.Error(err)
				return
			}
			if err := s.RecordFinish(ctx, sampleReport(id, time.Now()), ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
