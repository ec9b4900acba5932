package history

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
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
// the history: batches of one-step runs recorded at their end together.
// Per run, with ids that sort by time to the microsecond as run ids do,
// and with ids as they were before, random within their second.
func BenchmarkRecordFinishedExecutes(b *testing.B) {
	b.Run("ids by microsecond", func(b *testing.B) { benchExecutes(b, false, 11) })
	b.Run("ids random within the second", func(b *testing.B) { benchExecutes(b, true, 11) })
	// A server's batch under load: executes that ended within a commit
	// cycle of 10 ms at 12,000 a second.
	b.Run("batches of 128", func(b *testing.B) { benchExecutes(b, false, 128) })
}

func benchExecutes(b *testing.B, random bool, size int) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	n := 0
	cpu0 := cpuTime()
	for b.Loop() {
		batch := make([]Finished, size)
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
	// CPU time per run: steadier than wall time on a machine shared with
	// other work.
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n)/1000, "cpu-µs/run")
}

// cpuTime is the CPU time this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRecordScheduledRuns measures what a scheduled run costs the
// history, as the scheduler's runs record it: a thousand playbooks, ten
// runs at a time, each queuing its start (QueueStart) and then recording
// its end from a report of three control.noop steps. Per run, in CPU
// time of the process as well: the figure issue 11's budget is in.
func BenchmarkRecordScheduledRuns(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(5) // 10 writers on 2 cores
	cpu0, io0 := cpuTime(), readIO()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := n.Add(1)
			start := time.Now()
			var tail [16]byte
			binary.BigEndian.PutUint32(tail[:], uint32(start.Nanosecond()/1000)<<12|uint32(k)&0xfff)
			binary.BigEndian.PutUint64(tail[8:], uint64(k))
			id := start.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(tail[:])
			name := fmt.Sprintf("p%04d", k%1000)
			slot := start.Truncate(time.Second)
			written := s.QueueStart(Run{ID: id, Playbook: name, Path: "/etc/arsenal/" + name + ".yaml", SHA256: "0123456789abcdef",
				Roles: []string{"scheduler"}, StartedAt: start, Trigger: TriggerSchedule, StartedBy: "scheduler", Slot: &slot})
			r := &report.Report{RunID: id, Playbook: report.Playbook{Name: name, Path: "/etc/arsenal/" + name + ".yaml", SHA256: "0123456789abcdef"},
				Roles: []string{"scheduler"}, Status: report.StatusSucceeded, StartedAt: start}
			for i, step := range []string{"one", "two", "three"} {
				at := start.Add(time.Duration(i) * time.Microsecond)
				r.Steps = append(r.Steps, report.Step{ID: step, Op: "control.noop", Section: "steps", Status: report.StatusSucceeded, StartedAt: &at, Attempts: 1})
			}
			r.FinishedAt = time.Now()
			if err := s.RecordFinish(ctx, r, "", ""); err != nil {
				b.Error(err)
				return
			}
			if err := written(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/1000, "cpu-µs/run")
	reportIO(b, io0, b.N)
}

// ioCounts are the write calls and bytes written of this process
// (/proc/self/io): in a benchmark that writes only the history, its
// pwrites to the WAL (a frame is a header and a page, two calls) and to
// the database by checkpoints.
type ioCounts struct{ calls, bytes int64 }

func readIO() ioCounts {
	text, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return ioCounts{-1, -1}
	}
	var c ioCounts
	for _, line := range strings.Split(string(text), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			c.calls, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			c.bytes, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return c
}

// reportIO reports the write calls and 4 KiB pages written per run since
// io0, where /proc/self/io is there to read.
func reportIO(b *testing.B, io0 ioCounts, runs int) {
	if io0.calls < 0 {
		return
	}
	io := readIO()
	b.ReportMetric(float64(io.calls-io0.calls)/float64(runs), "writes/run")
	b.ReportMetric(float64(io.bytes-io0.bytes)/4096/float64(runs), "pages/run")
}
