package history

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClaimSlotsRefusedWhileTheStateDirIsMoved: a state dir renamed after
// it was opened (its parent, say: the working directory of a relative
// --state-dir) refuses to claim slots, saying it was moved and where it
// went; moved back, slots are claimed again. Removed and made anew at the
// same path, it is another directory, never checked: refused too.
func TestClaimSlotsRefusedWhileTheStateDirIsMoved(t *testing.T) {
	parent := t.TempDir()
	wd := filepath.Join(parent, "wd")
	dir := filepath.Join(wd, "state")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	claim := func(sec int) error {
		_, err := s.ClaimSlots(ctx, []Slot{{Playbook: "p", Path: "p.yaml", Slot: at.Add(time.Duration(sec) * time.Second), Outcome: SlotFired, At: at}})
		return err
	}
	if err := claim(1); err != nil {
		t.Fatal(err)
	}

	moved := filepath.Join(parent, "wd2")
	if err := os.Rename(wd, moved); err != nil {
		t.Fatal(err)
	}
	err = claim(2)
	if !errors.Is(err, ErrStateDirMoved) {
		t.Fatalf("claim with the state dir moved: %v", err)
	}
	for _, want := range []string{dir + " no longer exists", "is now " + filepath.Join(moved, "state"), "restart with --state-dir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if err := os.Rename(moved, wd); err != nil {
		t.Fatal(err)
	}
	if err := claim(3); err != nil {
		t.Fatalf("claim with the state dir moved back: %v", err)
	}

	if err := os.Rename(wd, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := claim(4); !errors.Is(err, ErrStateDirMoved) || !strings.Contains(err.Error(), "another directory") {
		t.Errorf("claim with another directory at the state dir's path: %v", err)
	}
}
