package shell

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// BenchmarkShellLargeOutputsHeap runs 16 steps at once, each printing
// 8 MiB kept whole (max_output 8 MiB), under an output memory of 32 MiB,
// and reports the most heap in use while they run (peak-heap-MiB,
// runtime.MemStats.HeapInuse read every millisecond): what the pool
// bounds (bench/README.md).
func BenchmarkShellLargeOutputsHeap(b *testing.B) {
	const mib = 1 << 20
	r := newRegistry(b, nil)
	r.OutputMemory().SetLimit(32 * mib)
	var peak uint64
	for b.Loop() {
		runtime.GC()
		stop := make(chan struct{})
		var sampled sync.WaitGroup
		sampled.Go(func() {
			var ms runtime.MemStats
			t := time.NewTicker(time.Millisecond)
			defer t.Stop()
			for {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		})
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				out, err := opstest.Execute(r, context.Background(), "shell.exec", map[string]any{"script": "head -c 8388608 /dev/zero | tr '\\0' x", "max_output": 8 * mib})
				if err != nil || len(out["stdout"].(string)) != 8*mib {
					b.Errorf("%v", err)
				}
			})
		}
		wg.Wait()
		close(stop)
		sampled.Wait()
	}
	b.ReportMetric(float64(peak)/mib, "peak-heap-MiB")
}
