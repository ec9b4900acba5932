package scheduler

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMissedHelpNamesEveryCause: the HELP of the missed slots says what
// an alert on it counts: slots that came too late, and those still queued
// or waiting for a place when the scheduler stopped or a reload removed
// their playbook (lifecycle.go, waiting.go, load.go).
func TestMissedHelpNamesEveryCause(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics()
	reg.MustRegister(m)
	m.missed.WithLabelValues("tick").Inc()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "arsenal_schedule_slots_missed_total" {
			continue
		}
		for _, cause := range []string{"too late", "starting_deadline", "queued", "waiting for a place", "stopped", "removed"} {
			if !strings.Contains(mf.GetHelp(), cause) {
				t.Errorf("HELP %q does not name %q", mf.GetHelp(), cause)
			}
		}
		return
	}
	t.Fatal("arsenal_schedule_slots_missed_total not gathered")
}
