package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

func testGroups(t *testing.T, open Opener) {
	a, b := open(t), open(t)
	must(t, a.GroupEnqueue(ctx, "g", "r1", `{"name":"one"}`))
	must(t, b.GroupEnqueue(ctx, "g", "r2", ""))
	// Who started a run in line is read by any Store of the database.
	who, ok, err := b.GroupWho(ctx, "g", "r1")
	must(t, err)
	if !ok || who != `{"name":"one"}` {
		t.Errorf("GroupWho(r1) = %q, %v; want what its enqueue recorded", who, ok)
	}
	if _, ok, err := b.GroupWho(ctx, "g", "unknown"); err != nil || ok {
		t.Errorf("GroupWho of a run not in line: %v, %v; want false", ok, err)
	}
	ok, ahead, err := b.GroupTry(ctx, "g", "r2")
	must(t, err)
	if ok || !cmp.Equal(ahead, []string{"r1"}) {
		t.Errorf("the second in line: acquired %v, ahead %v", ok, ahead)
	}
	ok, _, err = a.GroupTry(ctx, "g", "r1")
	must(t, err)
	if !ok {
		t.Fatal("the first in line did not get the group")
	}
	// A run that joined the line after r2 looked is not among those it
	// names, and is not asked to stop.
	must(t, a.GroupEnqueue(ctx, "g", "r3", ""))
	must(t, b.GroupRequestCancel(ctx, "g", "r2", []string{"r1"}))
	by, err := a.GroupCancelledBy(ctx, "g", "r1")
	must(t, err)
	if by != "r2" {
		t.Errorf("GroupCancelledBy = %q, want r2", by)
	}
	by, err = a.GroupCancelledBy(ctx, "g", "r3")
	must(t, err)
	if by != "" {
		t.Errorf("r3, not named, was asked to stop by %q", by)
	}
	must(t, a.GroupRelease(ctx, "g", "r3"))
	must(t, a.GroupRelease(ctx, "g", "r1"))
	ok, _, err = b.GroupTry(ctx, "g", "r2")
	must(t, err)
	if !ok {
		t.Error("the group was not free after its holder released it")
	}
	if _, _, err := b.GroupTry(ctx, "g", "unknown"); err == nil {
		t.Error("a run not in line got an answer without an error")
	}
}

func testGroupDeadOwner(t *testing.T, open Opener) {
	a, b := open(t), open(t)
	holdGroup(t, a, "g", "held")
	must(t, a.Close()) // as its process dying does
	must(t, b.GroupEnqueue(ctx, "g", "next", ""))
	ok, ahead, err := b.GroupTry(ctx, "g", "next")
	must(t, err)
	if !ok {
		t.Errorf("the group of a closed store is still held, by %v", ahead)
	}
}

// A run recorded as ended whose release was lost (a database restart at
// that moment) holds its group no more, though its process lives on.
func testGroupEndedRun(t *testing.T, open Opener) {
	a, b := open(t), open(t)
	holdGroup(t, a, "g", "held")
	must(t, a.RecordStart(ctx, history.Run{ID: "held", Playbook: "pb", Status: history.StatusRunning, StartedAt: t0}))
	must(t, b.GroupEnqueue(ctx, "g", "next", ""))
	if ok, _, err := b.GroupTry(ctx, "g", "next"); err != nil || ok {
		t.Fatalf("the group of a running run is taken: %v, %v", ok, err)
	}
	must(t, a.RecordFinish(ctx, finished("held", "pb", report.StatusSucceeded, t0, map[string]int64{"control.noop": 1}), "", ""))
	ok, ahead, err := b.GroupTry(ctx, "g", "next")
	must(t, err)
	if !ok {
		t.Errorf("the group of an ended run is still held, by %v", ahead)
	}
}

// A run's place in a group's line is changed only by the Store that made
// it: a process that took the run over (its first process looked dead)
// has its own place, which the first one, back, neither frees nor holds,
// and which it cannot use to ask the others to stop.
func testGroupPlaceOfAnotherStore(t *testing.T, open Opener) {
	a, b := open(t), open(t)
	holdGroup(t, a, "g", "r")
	must(t, a.GroupEnqueue(ctx, "g", "next", ""))
	must(t, b.GroupRelease(ctx, "g", "r"))
	if _, _, err := b.GroupTry(ctx, "g", "r"); err == nil {
		t.Error("another Store's GroupTry on the run's place got an answer without an error")
	}
	must(t, b.GroupRequestCancel(ctx, "g", "r", []string{"next"}))
	by, err := a.GroupCancelledBy(ctx, "g", "next")
	must(t, err)
	if by != "" {
		t.Errorf("a run was asked to stop by %q through another Store's place", by)
	}
	ok, ahead, err := a.GroupTry(ctx, "g", "next")
	must(t, err)
	if ok || !cmp.Equal(ahead, []string{"r"}) {
		t.Errorf("after another Store released the holder's place: acquired %v, ahead %v; want r still holding", ok, ahead)
	}
}

// holdGroup makes run, of store s, the holder of group.
func holdGroup(t *testing.T, s store.Store, group, run string) {
	t.Helper()
	must(t, s.GroupEnqueue(ctx, group, run, ""))
	ok, ahead, err := s.GroupTry(ctx, group, run)
	must(t, err)
	if !ok {
		t.Fatalf("run %s does not hold group %s: %v ahead", run, group, ahead)
	}
}
