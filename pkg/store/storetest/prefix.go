package storetest

import (
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// Runs are found by the start of their id, byte for byte, newest first.
func testIDPrefix(t *testing.T, open Opener) {
	s := open(t)
	for i, id := range []string{"20261205T045220-15f7", "20261205T045220-9a01", "20261205T045301-15f7"} {
		must(t, s.RecordStart(ctx, history.Run{ID: id, Playbook: "deploy", StartedAt: t0.Add(time.Duration(i) * time.Second)}))
	}
	for prefix, want := range map[string]string{
		"20261205T045220-1": "20261205T045220-15f7",
		"20261205T045220":   "20261205T045220-9a01 20261205T045220-15f7",
		"20261205t045220":   "",
		"2026120":           "20261205T045301-15f7 20261205T045220-9a01 20261205T045220-15f7",
		"15f7":              "",
		"20261205T045220%":  "",
	} {
		runs, err := s.List(ctx, history.Filter{IDPrefix: prefix})
		must(t, err)
		got := ""
		for i, r := range runs {
			if i > 0 {
				got += " "
			}
			got += r.ID
		}
		if got != want {
			t.Errorf("runs whose id starts with %q: %q, want %q", prefix, got, want)
		}
	}
}

// The runs that resumed a run are found by its id, newest first.
func testResumedFrom(t *testing.T, open Opener) {
	s := open(t)
	for i, r := range []history.Run{
		{ID: "r1", Playbook: "deploy"},
		{ID: "r2", Playbook: "deploy", ResumedFrom: "r1"},
		{ID: "r3", Playbook: "deploy", ResumedFrom: "r2"},
		{ID: "r4", Playbook: "deploy", ResumedFrom: "r1"},
	} {
		r.StartedAt = t0.Add(time.Duration(i) * time.Second)
		must(t, s.RecordStart(ctx, r))
	}
	for from, want := range map[string]string{"r1": "r4 r2", "r2": "r3", "r3": "", "r": ""} {
		runs, err := s.List(ctx, history.Filter{ResumedFrom: from})
		must(t, err)
		got := ""
		for i, r := range runs {
			if i > 0 {
				got += " "
			}
			got += r.ID
		}
		if got != want {
			t.Errorf("runs that resumed %q: %q, want %q", from, got, want)
		}
	}
}
