package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestFindRunNamesTheRunATypoMeant: an id with a character wrong, left
// out or two swapped (copied by hand from a chat message at night) is
// not found, but the error names the recorded run it is a typo of, in a
// whole id or in a start that only that run has; a guess close to no run
// names none.
func TestFindRunNamesTheRunATypoMeant(t *testing.T) {
	h, err := history.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx := context.Background()
	const (
		old    = "20250301T101500-5be0c7a1d94f4e2b8a9c0d1e2f3a4b5c"
		recent = "20261207T035733-d3d5b169d2c368694e0572ef053047b2"
		other  = "20261207T035733-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	)
	for i, id := range []string{old, other, recent} {
		run := history.Run{ID: id, Playbook: "p", StartedAt: time.Date(2025, 3, 1, 10, 15, i, 0, time.UTC)}
		if id != old {
			run.StartedAt = time.Date(2026, 12, 7, 3, 57, 33, i, time.UTC)
		}
		if err := h.RecordStart(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ typed, near string }{
		{recent[:len(recent)-1] + "3", recent},                              // the last character
		{recent[:40] + recent[41:], recent},                                 // one left out
		{recent[:20] + recent[21:22] + recent[20:21] + recent[22:], recent}, // two swapped
		{recent[:30] + "7", recent},                                         // a start, its last character wrong
		{old[:10] + "6" + old[11:], old},                                    // an old run, its time mistyped
		{"20261207T035733-ffffffffffffffff", ""},                            // close to no run
		{"20261207T035733-d3d5b169d2c368694e0572ef0530zzzz", ""},
	} {
		_, err := FindRun(ctx, h, c.typed)
		if !errors.Is(err, history.ErrNotFound) {
			t.Errorf("FindRun(%s): %v, want not found", c.typed, err)
			continue
		}
		want := ""
		if c.near != "" {
			want = ` (did you mean "` + c.near + `"?)`
		}
		if got := Hint(err); got != want {
			t.Errorf("FindRun(%s): hint %q, want %q", c.typed, got, want)
		}
	}
}
