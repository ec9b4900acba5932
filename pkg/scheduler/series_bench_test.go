package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// BenchmarkRunEndSeries is what a run's end adds to the metrics, for
// 1,000 playbooks in turn: labels looks the playbook's label and the two
// series up by their labels each time, as every run's end did; cached
// takes them from the entry, as it does now.
//
//	go test -run '^$' -bench BenchmarkRunEndSeries -count 6 ./pkg/scheduler/
func BenchmarkRunEndSeries(b *testing.B) {
	s, err := New(Config{Launcher: noopLauncher{}, Store: &memoryStore{last: map[string]time.Time{}}, Clock: NewFakeClock(time.Now())})
	if err != nil {
		b.Fatal(err)
	}
	entries := make([]*entry, 1000)
	for i := range entries {
		entries[i] = &entry{pb: &steps.Playbook{Name: fmt.Sprintf("p%04d", i)}}
	}
	const status = "succeeded"
	b.Run("labels", func(b *testing.B) {
		i := 0
		for b.Loop() {
			e := entries[i%len(entries)]
			label := s.metrics.label(e.pb.Name)
			s.metrics.runs.WithLabelValues(label, status).Inc()
			s.metrics.duration.WithLabelValues(label).Observe(0.002)
			i++
		}
	})
	b.Run("cached", func(b *testing.B) {
		i := 0
		for b.Loop() {
			e := entries[i%len(entries)]
			s.ended(e, status)
			s.seriesOf(e).duration.Observe(0.002)
			i++
		}
	})
}
