package scheduler

import (
	"fmt"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// overlap decides a slot that is due while e may still have runs going.
// earlier are the decisions already taken for e in this batch: the runs
// they start (all of them now) are still starting when this slot comes,
// and a slot they queue holds the waiting place, so that the slots of a
// gap overlap one another as slots that came one by one would.
func (s *Scheduler) overlap(e *entry, earlier []decision, rec history.Slot, fireAt time.Time) decision {
	d := decision{e: e, rec: rec, fireAt: fireAt}
	starting, queued := 0, e.pending != nil
	for _, p := range earlier {
		switch p.rec.Outcome {
		case history.SlotFired:
			starting++
		case history.SlotQueued:
			queued = true
		}
	}
	running := len(e.running) + starting
	if running == 0 && !queued {
		return d
	}
	newest, oldest := "", ""
	if n := len(e.running); n > 0 {
		newest, oldest = e.running[n-1].id, e.running[0].id
	}
	if starting > 0 {
		// The newest run is one of this batch's: it has no id yet.
		newest = ""
	}
	blocked := func(id, policy string) {
		d.rec.Outcome, d.rec.BlockedBy = history.SlotSkipped, id
		if id == "" {
			d.rec.Message = "skipped: a run of this playbook was still starting (overlap: " + policy + ")"
		} else {
			d.rec.Message = "skipped: run " + id + " was still running (overlap: " + policy + ")"
		}
	}
	switch e.pb.Schedule.Overlap {
	case "queue":
		if queued {
			blocked(newest, "queue, and a slot is queued already")
			break
		}
		d.rec.Outcome, d.rec.BlockedBy = history.SlotQueued, newest
		d.rec.Message = "queued behind " + runNamed(newest)
	case "allow":
		if running >= s.cfg.MaxConcurrentRuns {
			blocked(oldest, fmt.Sprintf("allow, at most %d at once", s.cfg.MaxConcurrentRuns))
		}
	case "replace":
		d.rec.Outcome, d.rec.BlockedBy, d.replace = history.SlotQueued, newest, true
		d.rec.Message = "replacing " + runNamed(newest)
	default:
		blocked(newest, "skip")
	}
	return d
}

// runNamed names a run in a message; a run still starting has no id yet.
func runNamed(id string) string {
	if id == "" {
		return "a run of this playbook still starting"
	}
	return "run " + id
}
