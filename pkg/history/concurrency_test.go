package history

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestConcurrencyGroup checks the group rows between two Stores of one
// state directory, as two processes have them: first come holds, the next
// wait in order, a cancel request reaches its run, and the rows of a
// closed Store stop holding the group.
func TestConcurrencyGroup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	try := func(s *Store, run string) (bool, []string) {
		t.Helper()
		ok, ahead, err := s.GroupTry(ctx, "deploy-api", run)
		if err != nil {
			t.Fatal(err)
		}
		return ok, ahead
	}
	for _, x := range []struct {
		s   *Store
		run string
	}{{a, "r1"}, {b, "r2"}, {b, "r3"}} {
		if err := x.s.GroupEnqueue(ctx, "deploy-api", x.run, ""); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := try(a, "r1"); !ok {
		t.Fatal("the first run does not get the free group")
	}
	if ok, ahead := try(b, "r3"); ok || !cmp.Equal(ahead, []string{"r1", "r2"}) {
		t.Errorf("r3: acquired %v, ahead %v; want r1 (holding) and r2 (waiting) ahead", ok, ahead)
	}
	if ok, _ := try(b, "r2"); ok {
		t.Error("r2 got the group while r1 holds it")
	}
	// Another group is independent.
	if err := b.GroupEnqueue(ctx, "other", "r9", ""); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := b.GroupTry(ctx, "other", "r9"); err != nil || !ok {
		t.Errorf("another group: %v %v", ok, err)
	}

	// Only the runs named are asked: r2, in line but not named, is left
	// alone (as a run that came after r3 looked would be).
	if err := b.GroupRequestCancel(ctx, "deploy-api", "r3", []string{"r1", "r3"}); err != nil {
		t.Fatal(err)
	}
	for run, want := range map[string]string{"r1": "r3", "r2": "", "r3": ""} {
		if by, err := a.GroupCancelledBy(ctx, "deploy-api", run); err != nil || by != want {
			t.Errorf("%s cancelled by %q (%v), want %q", run, by, err, want)
		}
	}

	// The process holding r1 ends without releasing: its rows go.
	a.Close()
	if err := b.GroupRelease(ctx, "deploy-api", "r2"); err != nil {
		t.Fatal(err)
	}
	if ok, ahead := try(b, "r3"); !ok {
		t.Errorf("r3 does not get the group its dead holder left; ahead %v", ahead)
	}
	if _, _, err := b.GroupTry(ctx, "deploy-api", "r7"); err == nil {
		t.Error("a run that never enqueued got an answer")
	}
}
