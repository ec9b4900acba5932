package engine

import (
	"testing"
	"time"
)

// WithStartedAt: the report says the start its front end read, and its
// duration counts from it.
func TestWithStartedAtIsTheReportsStart(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+"steps:\n  - {id: a, op: control.noop}\n")
	at := time.Now().Add(-time.Hour)
	rep := mustRun(t, p, nil, WithStartedAt(at))
	if !rep.StartedAt.Equal(at) {
		t.Errorf("report started at %s, want %s", rep.StartedAt, at)
	}
	if rep.DurationMS < time.Hour.Milliseconds() {
		t.Errorf("report lasted %d ms, want at least an hour's", rep.DurationMS)
	}
	if rep := mustRun(t, p, nil); rep.StartedAt.Before(at.Add(time.Hour)) {
		t.Errorf("a run without the option started at %s, want now", rep.StartedAt)
	}
}
