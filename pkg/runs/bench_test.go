package runs

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

func noopChain(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nname: bench\nsteps:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: s%d, op: control.noop}\n", i)
	}
	return b.String()
}

// benchRun runs pb through a manager, with a subscriber reading every event
// when subscribe is set, and reports the cost per step.
func benchRun(b *testing.B, text string, perRun int, subscribe bool) {
	reg := newRegistry(b)
	pb, err := steps.Parse("bench.yaml", []byte(text), reg)
	if err != nil {
		b.Fatal(err)
	}
	m := newManager(b, Config{Registry: reg}, Limits{})
	b.ReportAllocs()
	for b.Loop() {
		h, err := m.Start(context.Background(), Request{Playbook: pb})
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{})
		if subscribe {
			go func() {
				defer close(done)
				<-h.Events().Observe(engine.ObserverFunc(func(ev Event) { fmt.Fprint(io.Discard, ev.Kind) }), nil)
			}()
		} else {
			close(done)
		}
		rep, err := h.Wait(context.Background())
		<-done
		if err != nil || rep.Status != "succeeded" {
			b.Fatal(err, rep.Status)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perRun), "ns/step")
}

// BenchmarkRun1000Noop is a 1,000-step control.noop chain through the run
// service, without and with a subscriber on its event stream.
func BenchmarkRun1000Noop(b *testing.B) { benchRun(b, noopChain(1000), 1000, false) }

func BenchmarkRun1000NoopSubscribed(b *testing.B) { benchRun(b, noopChain(1000), 1000, true) }

// BenchmarkRunFanout100kSubscribed is a 100,000-item fan-out at concurrency
// 64 with a subscriber.
func BenchmarkRunFanout100kSubscribed(b *testing.B) {
	benchRun(b, "version: 1\nname: bench\nsteps:\n  - {id: fan, op: control.noop, foreach: '0..99999', concurrency: 64}\n", 100000, true)
}

// BenchmarkRunWithStateDir is what every scheduled or API-started run
// costs beyond its steps: a three-step control.noop playbook through the
// run service with a state dir, so with its history rows, its signed JSON
// report and the audit log.
func BenchmarkRunWithStateDir(b *testing.B) { benchStateDir(b, noopChain(3)) }

// BenchmarkRunCachedWithStateDir is the same with a step that sets
// cache:, whose result the runs after the first read from the cache.
func BenchmarkRunCachedWithStateDir(b *testing.B) {
	benchStateDir(b, noopChain(2)+"  - {id: cached, op: control.noop, cache: {ttl: 1h}}\n")
}

func benchStateDir(b *testing.B, src string) {
	reg := newRegistry(b)
	pb, err := steps.Parse("bench.yaml", []byte(src), reg)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	audit, err := auth.OpenAudit(filepath.Join(dir, "audit.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer audit.Close()
	m := newManager(b, Config{Registry: reg, StateDir: dir, Audit: audit}, Limits{})
	caller := Caller{Roles: []string{"admin"}, Name: "bench", Trigger: TriggerSchedule}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ReportAllocs()
	for b.Loop() {
		h, err := m.Start(context.Background(), Request{Playbook: pb, Caller: caller})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := h.Wait(context.Background())
		if err != nil || rep.Status != "succeeded" {
			b.Fatal(err, rep.Status)
		}
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/run")
}
