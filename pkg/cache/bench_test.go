package cache_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

var historyAll = history.CacheFilter{}

// BenchmarkCacheHit1000 runs a 1,000-step playbook whose every step is a
// cache hit (each with params of its own, so 1,000 entries), against a
// state dir's history database, and reports the time per step: the cost
// of a hit (key, lookup, decode) on top of the engine's own per-step
// overhead. "miss" is the same run with an empty cache: the op runs and its
// result is stored.
func BenchmarkCacheHit1000(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("version: 1\nname: bench\nsteps:\n")
	for i := range 1000 {
		fmt.Fprintf(&sb, "  - {id: s%d, op: test.echo, with: {x: [%d, /srv/app/%d]}, cache: {ttl: 1h}}\n", i, i, i)
	}
	f := newFixture(b, sb.String())
	f.run(nil) // fill the cache
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rep, err := f.plan.Run(context.Background(), nil)
			if err != nil || rep.Status != report.StatusSucceeded || !rep.Steps[999].Cached {
				b.Fatal(err, rep.Status)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/step")
	})
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			if _, err := f.store.CacheClear(context.Background(), historyAll); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			rep, err := f.plan.Run(context.Background(), nil)
			if err != nil || rep.Status != report.StatusSucceeded || rep.Steps[999].Cached {
				b.Fatal(err, rep.Status)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/step")
	})
}
