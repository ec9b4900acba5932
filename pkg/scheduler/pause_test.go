package scheduler

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestPausedScheduleSkipsSlots: while a schedule is paused in the
// history, its slots are recorded as skipped, saying who paused it, and
// nothing is launched; another playbook keeps firing; once resumed, the
// next slot fires and the slots skipped meanwhile stay skipped.
func TestPausedScheduleSkipsSlots(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, t10)
	h.load(playbook("p", "@every 1m"), playbook("q", "@every 1m"))
	m := time.Minute
	h.run(m)
	if _, _, err := h.store.PauseSchedule(ctx, history.Pause{Playbook: "p", By: "alice", At: t10.Add(m + time.Second)}); err != nil {
		t.Fatal(err)
	}
	h.run(2 * m)
	if _, err := h.store.ResumeSchedule(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	h.run(m)
	want := []string{slotIs(t10.Add(m), "fired"), slotIs(t10.Add(2*m), "skipped"), slotIs(t10.Add(3*m), "skipped"), slotIs(t10.Add(4*m), "fired")}
	if diff := cmp.Diff(want, h.slots("p")); diff != "" {
		t.Errorf("slot records of the paused playbook (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(utc(t10.Add(m), t10.Add(4*m)), h.launcher.slotsOf("p")); diff != "" {
		t.Errorf("runs of the paused playbook (-want +got):\n%s", diff)
	}
	if n := len(h.launcher.slotsOf("q")); n != 4 {
		t.Errorf("the other playbook fired %d times, want 4", n)
	}
	recs, err := h.store.Slots(ctx, "p", t10.Add(2*m), 1)
	if err != nil || len(recs) != 1 {
		t.Fatalf("slots: %v, %v", recs, err)
	}
	if msg := recs[0].Message; !strings.Contains(msg, "paused") || !strings.Contains(msg, "alice") {
		t.Errorf("a paused slot's record says %q; want it to say the schedule is paused and by whom", msg)
	}
	runs, err := h.store.List(ctx, history.Filter{Playbook: "p", Status: report.StatusSkipped})
	if err != nil || len(runs) != 2 || runs[0].Error == nil || !strings.Contains(runs[0].Error.Message, "paused") {
		t.Errorf("paused slots in the run history: %+v, %v", runs, err)
	}
	if got := metricValue(t, h.s, "arsenal_schedule_slots_skipped_total", "p"); got != 2 {
		t.Errorf("skipped slots metric = %v, want 2", got)
	}
}

// TestPauseHoldsForItsFileOnly: a pause names the file paused; another
// playbook of the same name, from another file (what a serve serving a
// harmless "backup" would pause for the real one a schedule runs), keeps
// firing. A pause from before pauses named files holds for any.
func TestPauseHoldsForItsFileOnly(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, t10)
	h.load(playbook("p", "@every 1m"))
	m := time.Minute
	if _, _, err := h.store.PauseSchedule(ctx, history.Pause{Playbook: "p", Path: history.PausePath("elsewhere/p.yaml"), By: "mallory", At: t10}); err != nil {
		t.Fatal(err)
	}
	h.run(2 * m)
	if diff := cmp.Diff(utc(t10.Add(m), t10.Add(2*m)), h.launcher.slotsOf("p")); diff != "" {
		t.Errorf("runs of p while another file of its name is paused (-want +got):\n%s", diff)
	}
	if _, err := h.store.ResumeSchedule(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.store.PauseSchedule(ctx, history.Pause{Playbook: "p", Path: history.PausePath("p.yaml"), By: "alice", At: t10.Add(2 * m)}); err != nil {
		t.Fatal(err)
	}
	h.run(m)
	if n := len(h.launcher.slotsOf("p")); n != 2 {
		t.Errorf("p fired %d times, want 2: paused for its own file", n)
	}
}

// TestPauseStopsAQueuedSlot: a slot queued behind a running run before
// the pause does not start when that run ends; it is recorded skipped.
func TestPauseStopsAQueuedSlot(t *testing.T) {
	h := newHarness(t, t10)
	h.launcher.hold = true
	h.load(playbook("p", "@every 1m", overlap("queue")))
	m := time.Minute
	h.run(2*m + 10*time.Second)
	if _, _, err := h.store.PauseSchedule(context.Background(), history.Pause{Playbook: "p", By: "bob"}); err != nil {
		t.Fatal(err)
	}
	h.launcher.started()[0].end(report.StatusSucceeded)
	h.quiesce()
	if n := len(h.launcher.started()); n != 1 {
		t.Errorf("%d runs; the queued slot of a paused schedule started", n)
	}
	want := []string{slotIs(t10.Add(m), "fired"), slotIs(t10.Add(2*m), "skipped run-1")}
	if diff := cmp.Diff(want, h.slots("p")); diff != "" {
		t.Errorf("slot records (-want +got):\n%s", diff)
	}
}

// TestPauseOfAnotherFileLeavesAQueuedSlot: a pause of another file of the
// same name does not pause this one's queued slot either: it starts when
// the run before it ends, rather than being recorded "skipped: the
// schedule is paused" for a schedule that is not.
func TestPauseOfAnotherFileLeavesAQueuedSlot(t *testing.T) {
	h := newHarness(t, t10)
	h.launcher.hold = true
	h.load(playbook("p", "@every 1m", overlap("queue")))
	m := time.Minute
	h.run(2*m + 10*time.Second)
	if _, _, err := h.store.PauseSchedule(context.Background(), history.Pause{Playbook: "p", Path: history.PausePath("elsewhere/p.yaml"), By: "mallory", At: t10.Add(2 * m)}); err != nil {
		t.Fatal(err)
	}
	h.launcher.started()[0].end(report.StatusSucceeded)
	h.quiesce()
	if diff := cmp.Diff(utc(t10.Add(m), t10.Add(2*m)), h.launcher.slotsOf("p")); diff != "" {
		t.Errorf("runs of p, queued while another file of its name is paused (-want +got):\n%s", diff)
	}
}

// TestPauseHoldsThroughDowntime: the slots of a paused schedule that
// passed while the scheduler was down are recorded skipped for the pause,
// as they would have been had it run, not missed: only those before the
// pause was made were missed, and only they count in the missed counter
// and the log's missed slots. Under catchup: last, nothing is caught up,
// nor said to be. Once resumed, the next slot fires.
func TestPauseHoldsThroughDowntime(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		h := newHarness(t, t10.Add(-30*time.Minute))
		p, q := playbook("p", "0 * * * *"), playbook("q", "0 * * * *", catchup("last", 0))
		h.load(p, q)
		h.runUntil(t10.Add(30 * time.Minute))
		h.restart()
		hr := time.Hour
		// Down from 10:30 to 15:30; paused at 12:30 meanwhile (through
		// serve, say).
		for _, name := range []string{"p", "q"} {
			if _, _, err := h.store.PauseSchedule(ctx, history.Pause{Playbook: name, By: "alice", At: t10.Add(2*hr + 30*time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		h.clock.Jump(5 * hr)
		h.load(p, q)
		h.run(0)
		for _, name := range []string{"p", "q"} {
			if _, err := h.store.ResumeSchedule(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
		h.run(hr)
		want := []string{
			slotIs(t10, "fired"), slotIs(t10.Add(hr), "missed"), slotIs(t10.Add(2*hr), "missed"),
			slotIs(t10.Add(3*hr), "skipped"), slotIs(t10.Add(4*hr), "skipped"), slotIs(t10.Add(5*hr), "skipped"),
			slotIs(t10.Add(6*hr), "fired"),
		}
		for _, name := range []string{"p", "q"} {
			if diff := cmp.Diff(want, h.slots(name)); diff != "" {
				t.Errorf("slot records of %s (-want +got):\n%s", name, diff)
			}
		}
		if lines := h.logs.lines("catching up the latest missed slot (catchup: last)"); len(lines) != 0 {
			t.Errorf("the log says a slot of a paused schedule is caught up: %v", lines)
		}
		recs, err := h.store.Slots(ctx, "p", t10.Add(3*hr), 1)
		if err != nil || len(recs) != 1 || !strings.Contains(recs[0].Message, "paused (by alice") {
			t.Errorf("a slot of the pause during the downtime: %+v, %v; want it to say the schedule is paused, by alice", recs, err)
		}
		if got := metricValue(t, h.s, "arsenal_schedule_slots_missed_total", "p"); got != 2 {
			t.Errorf("missed counter %v, want 2", got)
		}
		if got := metricValue(t, h.s, "arsenal_schedule_slots_skipped_total", "p"); got != 3 {
			t.Errorf("skipped counter %v, want 3", got)
		}
		lines := h.logs.lines("slots were missed")
		if len(lines) != 2 || lines[0]["missed"] != float64(2) || lines[1]["missed"] != float64(2) {
			t.Errorf("log of the missed slots: %v; want one line with missed 2 for each playbook", lines)
		}
		if diff := cmp.Diff(utc(t10, t10.Add(6*hr)), h.launcher.slotsOf("p")); diff != "" {
			t.Errorf("runs (-want +got):\n%s", diff)
		}
	})
}

// TestPauseHoldsWhenASymlinkMoves: a playbook scheduled through a
// symlinked directory (a deploy's current -> release link) and paused
// stays paused when a deploy moves the link before the scheduler reloads:
// the scheduler still runs the file it loaded, which the pause names. A
// pause made after the link moved, naming the file it leads to now, holds
// too.
func TestPauseHoldsWhenASymlinkMoves(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	for _, r := range []string{"r1", "r2"} {
		if err := os.MkdirAll(filepath.Join(root, r), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, r, "p.yaml"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	current := filepath.Join(root, "current")
	link := func(r string) {
		os.Remove(current)
		if err := os.Symlink(filepath.Join(root, r), current); err != nil {
			t.Fatal(err)
		}
	}
	link("r1")
	h := newHarness(t, t10)
	pb := playbook("p", "@every 1m")
	pb.File = filepath.Join(current, "p.yaml")
	pb.AbsFile = pb.File
	h.load(pb)
	m := time.Minute
	h.run(m)
	if _, _, err := h.store.PauseSchedule(ctx, history.Pause{Playbook: "p", Path: history.PausePath(pb.File), By: "alice", At: t10.Add(m)}); err != nil {
		t.Fatal(err)
	}
	h.run(m)
	link("r2") // a deploy; no reload yet
	h.run(m)
	if _, err := h.store.ResumeSchedule(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	// Paused again, as serve names the file now.
	if _, _, err := h.store.PauseSchedule(ctx, history.Pause{Playbook: "p", Path: history.PausePath(pb.File), By: "bob", At: t10.Add(3 * m)}); err != nil {
		t.Fatal(err)
	}
	h.run(m)
	if diff := cmp.Diff(utc(t10.Add(m)), h.launcher.slotsOf("p")); diff != "" {
		t.Errorf("runs of p, paused while its link moved (-want +got):\n%s", diff)
	}
}
