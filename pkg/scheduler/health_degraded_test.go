package scheduler

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// gathered returns the value of a counter or gauge of reg whose playbook
// label is playbook ("" for none), and whether reg has it.
func gathered(t *testing.T, reg prometheus.Gatherer, name, playbook string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			pb := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "playbook" {
					pb = l.GetValue()
				}
			}
			if pb != playbook {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue(), true
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// A program that serves its own /metrics (serve) registers one Metrics
// there before any scheduler exists and gives it to each scheduler it
// runs, one after another: the series are there from the start, a
// degraded scheduler's missed slots show on that registry, a new
// scheduler on the same Metrics and registry starts (no duplicate
// registration) and its counters go on from the last one's, and a
// stopped scheduler no longer counts its playbooks as loaded.
func TestSharedMetricsOutliveTheScheduler(t *testing.T) {
	m := NewMetrics()
	served := prometheus.NewRegistry()
	served.MustRegister(m)
	if _, ok := gathered(t, served, "arsenal_schedule_playbooks_loaded", ""); !ok {
		t.Fatal("the series are not on the registry before any scheduler")
	}
	h := newHarness(t, t10.Add(-time.Second), func(c *Config) { c.Metrics, c.Registry = m, served })
	h.load(playbook("p", "@every 10s"))
	h.s.cfg.Store = &failingStore{Store: h.store, failures: 5}
	h.runUntil(t10)
	if hl := h.s.Health(); hl.Status != "degraded" || hl.StoreError == nil {
		t.Errorf("health while the history fails: %+v", hl)
	}
	h.runUntil(t10.Add(30 * time.Second))
	if hl := h.s.Health(); hl.Status != "ok" || hl.StoreError != nil {
		t.Errorf("health once the history records again: %+v", hl)
	}
	missed, _ := gathered(t, served, "arsenal_schedule_slots_missed_total", "p")
	if missed != 2 { // 10:00:00 and 10:00:10, while the history failed
		t.Fatalf("missed slots on the registry: %v, want 2", missed)
	}

	h.restart() // New registers m on served again: the same collector
	h.load(playbook("p", "@every 10s"))
	if got, _ := gathered(t, served, "arsenal_schedule_slots_missed_total", "p"); got != missed {
		t.Errorf("missed slots after the next scheduler started: %v, want %v as before", got, missed)
	}
	// Its only series is result="ok": one load by each scheduler.
	if got, _ := gathered(t, served, "arsenal_schedule_reloads_total", ""); got != 2 {
		t.Errorf("loads counted: %v, want 2", got)
	}
	if got, _ := gathered(t, served, "arsenal_schedule_playbooks_loaded", ""); got != 1 {
		t.Errorf("playbooks loaded: %v, want 1", got)
	}
	stop := h.startLoop()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got, _ := gathered(t, served, "arsenal_schedule_playbooks_loaded", ""); got != 0 {
		t.Errorf("playbooks loaded after the scheduler stopped: %v, want 0", got)
	}
}
