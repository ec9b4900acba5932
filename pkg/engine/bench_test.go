package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func noopChain(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nname: bench\nsteps:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: s%d, op: control.noop}\n", i)
	}
	return b.String()
}

// BenchmarkSequentialNoop measures the engine's overhead per step: a
// 1,000-step chain of control.noop, reported per step.
func BenchmarkSequentialNoop(b *testing.B) {
	e := New(registry(b))
	p := plan(b, e, noopChain(1000))
	b.ReportAllocs()
	for b.Loop() {
		rep, err := p.Run(context.Background(), nil)
		if err != nil || rep.Status != "succeeded" {
			b.Fatal(err, rep.Status)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/step")
}

func fanoutPlaybook(items, conc int) string {
	return fmt.Sprintf("version: 1\nname: bench\nsteps:\n  - {id: fan, op: control.noop, foreach: '0..%d', concurrency: %d}\n", items-1, conc)
}

// BenchmarkFanout10k runs a 10,000-item control.noop fan-out at
// concurrency 64.
func BenchmarkFanout10k(b *testing.B) { benchFanout(b, 10_000, 64) }

// BenchmarkFanout100k runs a 100,000-item fan-out at concurrency 64.
func BenchmarkFanout100k(b *testing.B) { benchFanout(b, 100_000, 64) }

func benchFanout(b *testing.B, items, conc int) {
	e := New(registry(b))
	p := plan(b, e, fanoutPlaybook(items, conc))
	b.ReportAllocs()
	for b.Loop() {
		rep, err := p.Run(context.Background(), nil)
		if err != nil || rep.Status != "succeeded" || len(rep.Steps[0].Items) != items {
			b.Fatal(err, rep.Status)
		}
	}
}
