package history

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkQueueStartRunsConcurrently is BenchmarkRecordRunsConcurrently
// as the run service records its runs: each queues its start
// (QueueStart), records its end, then waits for its start, as a run
// that only reads does. Per run, with the process's CPU a run.
func BenchmarkQueueStartRunsConcurrently(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var n atomic.Int64
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ReportAllocs()
	b.SetParallelism(5) // 10 writers on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("run-%d", n.Add(1))
			written := s.QueueStart(Run{ID: id, Playbook: "p", Trigger: TriggerSchedule})
			if err := s.RecordFinish(ctx, sampleReport(id, time.Now()), "", ""); err != nil {
				b.Error(err)
				return
			}
			if err := written(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano()
	b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/run")
}
