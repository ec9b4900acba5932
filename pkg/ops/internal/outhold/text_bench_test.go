package outhold

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// BenchmarkInvalidText: a stream of 3 MiB of invalid bytes into a
// max_output of 1 MiB (cut), turned into text; text-B is what Text
// allocated, pool-B what the pool gave the step, past-pool-B what the
// buffers and the text took past it.
func BenchmarkInvalidText(b *testing.B) {
	const limit = 1 << 20
	in := bytes.Repeat([]byte{0xff}, 3*limit)
	var textB, poolB, past int64
	for b.Loop() {
		mem := ops.NewOutputMemory(64 << 20)
		s, err := Hold(context.Background(), mem, limit, func() string { return "s" })
		if err != nil {
			b.Fatal(err)
		}
		buf := s.Buffer(limit)
		buf.Write(in)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_ = s.Text(buf)
		runtime.ReadMemStats(&after)
		now, _ := mem.Used()
		textB = int64(after.TotalAlloc - before.TotalAlloc)
		poolB = now
		past = max(int64(buf.Held())+textB-now, 0)
		s.Release()
	}
	b.ReportMetric(float64(textB), "text-B")
	b.ReportMetric(float64(poolB), "pool-B")
	b.ReportMetric(float64(past), "past-pool-B")
}
