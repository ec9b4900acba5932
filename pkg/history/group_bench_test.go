package history

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
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
			if err := s.RecordFinish(ctx, sampleReport(id, time.Now()), "", ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRecordFinishedExecutes measures what a server's executes cost
// the history: batches of 11 one-step runs recorded at their end together.
// Per run, with ids that sort by time to the microsecond as run ids do,
// and with ids as they were before, random within their second.
func BenchmarkRecordFinishedExecutes(b *testing.B) {
	b.Run("ids by microsecond", func(b *testing.B) { benchExecutes(b, false) })
	b.Run("ids random within the second", func(b *testing.B) { benchExecutes(b, true) })
}

func benchExecutes(b *testing.B, random bool) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	n := 0
	for b.Loop() {
		batch := make([]Finished, 11)
		for i := range batch {
			n++
			now := time.Now()
			var tail [16]byte
			rand.Read(tail[:])
			if !random {
				binary.BigEndian.PutUint32(tail[:], uint32(now.Nanosecond()/1000)<<12|uint32(n)&0xfff)
			}
			id := now.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(tail[:])
			batch[i] = Finished{Report: &report.Report{RunID: id, Playbook: report.Playbook{Name: "control.noop"},
				Status: "succeeded", StartedAt: now, FinishedAt: now,
				Steps: []report.Step{{ID: "control.noop", Op: "control.noop", Status: "succeeded", StartedAt: &now, Attempts: 1}},
			}, Trigger: TriggerAPI, StartedBy: "bench"}
		}
		if err := s.RecordFinished(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/1000, "µs/run")
}
