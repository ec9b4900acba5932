package cluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// BenchmarkTopologyLargeAnswers: 256 nodes answering 64 KiB each, probed
// at concurrency 256 with a pool of 16 MiB; heap-peak-B is the most heap
// objects took at once above what they took before the step (sampled),
// pool-peak-B the most the pool held.
func BenchmarkTopologyLargeAnswers(b *testing.B) {
	answer := `{"version":"` + strings.Repeat("v", 64<<10-22) + `","ops":7}`
	s := server(b, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, answer) })
	r := newRegistry(b)
	r.OutputMemory().SetLimit(16 << 20)
	var nodes []any
	for i := range 256 {
		nodes = append(nodes, map[string]any{"name": fmt.Sprint("n", i), "url": s.URL})
	}
	params := map[string]any{"nodes": nodes, "concurrency": 256, "timeout": "60s"}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() int64 { metrics.Read(sample); return int64(sample[0].Value.Uint64()) }
	var peak atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	base := heap()
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if h := heap() - base; h > peak.Load() {
				peak.Store(h)
			}
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		if out, err := opstest.Execute(r, context.Background(), "cluster.topology", params); err != nil || out["status"] != "healthy" {
			b.Fatalf("%v %v", out, err)
		}
	}
	close(stop)
	<-done
	_, pool := r.OutputMemory().Used()
	b.ReportMetric(float64(peak.Load()), "heap-peak-B")
	b.ReportMetric(float64(pool), "pool-peak-B")
}
