package server

import (
	"net/http"
	"testing"
)

// TestStreamsPerCallerAreBounded: one caller holds at most
// MaxStreamsPerCaller event streams; another caller is not held back by
// it, and a stream closed frees its place.
func TestStreamsPerCallerAreBounded(t *testing.T) {
	var cs callerStreams
	var releases []func()
	for range MaxStreamsPerCaller {
		release, e := cs.take("viewer")
		if e != nil {
			t.Fatalf("stream %d refused: %v", len(releases)+1, e)
		}
		releases = append(releases, release)
	}
	if _, e := cs.take("viewer"); e == nil || e.Status != http.StatusTooManyRequests {
		t.Errorf("one stream over the bound: %v, want 429", e)
	}
	if _, e := cs.take("admin"); e != nil {
		t.Errorf("another caller: %v", e)
	}
	releases[0]()
	if _, e := cs.take("viewer"); e != nil {
		t.Errorf("after one closed: %v", e)
	}
}
