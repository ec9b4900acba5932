package telemetry_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/telemetry"
)

// BenchmarkTracing runs a 1,000-step chain of control.noop with tracing
// off and on (an in-memory exporter behind the usual batch processor, the
// flush at the end of each run included) and reports the time per step;
// the difference is what tracing costs a step (a step span and an attempt
// span, made from the run's events and the call chain). Both runs have an
// observer of their events, as every run of the run service has (its
// event stream), so the difference is tracing's alone.
func BenchmarkTracing(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("version: 1\nname: bench\nsteps:\n")
	for i := range 1000 {
		fmt.Fprintf(&sb, "  - {id: s%d, op: control.noop}\n", i)
	}
	reg := testRegistry(b)
	pb, err := steps.Load(writeFile(b, b.TempDir(), "bench.yaml", sb.String()), reg)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("off", func(b *testing.B) {
		b.ReportAllocs()
		defer cpuPerStep(b)()
		for b.Loop() {
			rep, err := engine.New(reg).Plan(pb).Run(context.Background(), nil, engine.WithRunObserver(discard))
			if err != nil || rep.Status != "succeeded" {
				b.Fatal(err, rep.Status)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/step")
	})
	// on: the SDK's tracetest.InMemoryExporter, which converts every span
	// it is handed into a SpanStub and appends it to a slice that grows
	// from empty after each Reset. keep: an exporter that keeps the spans
	// as the SDK hands them over, which isolates what making the spans
	// costs from what that test exporter's copies cost.
	mem := tracetest.NewInMemoryExporter()
	b.Run("on", func(b *testing.B) {
		tracedRuns(b, reg, pb, mem, mem.Reset, func() int { return len(mem.GetSpans()) })
	})
	keep := &keepExporter{}
	b.Run("keep", func(b *testing.B) {
		tracedRuns(b, reg, pb, keep, keep.reset, keep.len)
	})
}

func tracedRuns(b *testing.B, reg *ops.Registry, pb *steps.Playbook, exp sdktrace.SpanExporter, reset func(), spans func() int) {
	p, err := telemetry.NewWithExporter(exp, telemetry.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	b.ReportAllocs()
	defer cpuPerStep(b)()
	n := 0
	for b.Loop() {
		reset()
		n++
		id := fmt.Sprint("bench-", n)
		ctx, r := p.StartRun(context.Background(), telemetry.RunInfo{RunID: id, Playbook: pb.Name})
		rep, err := engine.New(reg, r.Options()...).Plan(pb).Run(ctx, nil, engine.WithRunID(id), engine.WithRunObserver(discard))
		if err != nil || rep.Status != "succeeded" {
			b.Fatal(err, rep.Status)
		}
		r.End(ctx, rep)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/step")
	if got := spans(); got < 2001 {
		b.Fatalf("the last run exported %d spans; want a run, 1,000 steps and 1,000 attempts", got)
	}
}

// keepExporter keeps the spans it is handed.
type keepExporter struct {
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
}

func (e *keepExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.spans = append(e.spans, spans...)
	return nil
}

func (e *keepExporter) Shutdown(context.Context) error { return nil }

func (e *keepExporter) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.spans)
	e.spans = e.spans[:0]
}

func (e *keepExporter) len() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.spans)
}

var discard = engine.ObserverFunc(func(engine.Event) {})

// cpuPerStep reports the CPU time (user and system, all threads: the
// garbage collector and the exporter's goroutine included) per step of a
// 1,000-step run, which a machine busy with other work disturbs less than
// the wall time. Call the result when the loop is done.
func cpuPerStep(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64((cpu()-start).Nanoseconds())/float64(b.N*1000), "cpu-ns/step")
	}
}
