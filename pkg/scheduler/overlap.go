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
	runs, queued := e.running, e.pending != nil
	for _, p := range earlier {
		switch p.rec.Outcome {
		case history.SlotFired:
			runs = append(runs[:len(runs):len(runs)], p.run)
		case history.SlotQueued:
			queued = true
		}
	}
	var newest, oldest *runState
	if n := len(runs); n > 0 {
		newest, oldest = runs[n-1], runs[0]
	}
	switch {
	case len(runs) == 0 && !queued:
	case e.pb.Schedule.Overlap == "queue":
		if queued {
			d.blockedBy(newest, queueFull, ReasonQueueFull)
			break
		}
		d.rec.Outcome, d.rec.BlockedBy, d.waitsFor = history.SlotQueued, idOf(newest), newest
		d.rec.Message = "queued behind " + runNamed(idOf(newest))
	case e.pb.Schedule.Overlap == "allow":
		if len(runs) >= s.cfg.MaxConcurrentRuns {
			d.blockedBy(oldest, s.allowLimit(), ReasonAllowLimit)
		}
	case e.pb.Schedule.Overlap == "replace":
		d.rec.Outcome, d.rec.BlockedBy, d.replace, d.waitsFor = history.SlotQueued, idOf(newest), true, newest
		d.rec.Message = "replacing " + runNamed(idOf(newest))
	default:
		d.blockedBy(newest, "skip", ReasonOverlap)
	}
	if d.rec.Outcome == history.SlotFired {
		d.run = &runState{owner: e, slot: rec.Slot, fireAt: fireAt}
	}
	return d
}

// blockedBy makes d a slot skipped because of run rs under policy, for
// reason, the word its line carries (one of the Reason constants). A run
// still starting has no id until its Launch returns: the slot is claimed,
// with its run row, naming no run, and the run is named in both once it
// has an id (nameBlocker).
func (d *decision) blockedBy(rs *runState, policy, reason string) {
	d.rec.Outcome, d.reason = history.SlotSkipped, reason
	switch {
	case rs == nil:
		d.rec.Message = "skipped (overlap: " + policy + ")"
	case rs.id == "":
		d.rec.BlockerStarting, d.behind = true, rs
		d.rec.Message = "skipped: the run of the slot of " + rs.slot.Format(time.RFC3339) + " was still starting (overlap: " + policy + ")"
	case rs.waiting:
		// Launched, but not started: it waits for a place among the
		// concurrent runs, and "running" would send the reader to look
		// for a run that is not going.
		d.rec.BlockedBy = rs.id
		d.rec.Message = "skipped: run " + rs.id + " was still waiting for a place to run (overlap: " + policy + ")"
	default:
		d.rec.BlockedBy = rs.id
		d.rec.Message = "skipped: run " + rs.id + " was still running (overlap: " + policy + ")"
	}
}

// allowLimit is the policy of a slot skipped under overlap allow: the
// bound and where it comes from (Config.LimitFrom), so that the reader
// knows what to raise.
func (s *Scheduler) allowLimit() string {
	from := s.cfg.LimitFrom
	if from == "" {
		from = "the default"
	}
	return fmt.Sprintf("allow, at most %d of its runs at once, %s", s.cfg.MaxConcurrentRuns, from)
}

// idOf is the id of run rs; empty while it is still starting, or for no
// run.
func idOf(rs *runState) string {
	if rs == nil {
		return ""
	}
	return rs.id
}

// runNamed names a run in a message; a run still starting has no id yet.
func runNamed(id string) string {
	if id == "" {
		return "a run of this playbook still starting"
	}
	return "run " + id
}

// queueFull is the policy of a slot skipped under overlap: queue.
const queueFull = "queue, and a slot is queued already"

// Why a slot was skipped, as the reason field of its log line says it:
// stable words for a log pipeline to count by, where the message names
// the run and the time. Each is decided where the slot is found skipped,
// beside its message, and carried with it (decision.reason), never read
// back from the message, whose words may change.
const (
	ReasonOverlap      = "overlap"       // overlap: skip, a run of the playbook still going
	ReasonQueueFull    = "queue_full"    // overlap: queue, a slot queued already
	ReasonAllowLimit   = "allow_limit"   // overlap: allow, at most --max-concurrent-runs of its runs
	ReasonReplaced     = "replaced"      // overlap: replace, a newer slot took its place
	ReasonPaused       = "paused"        // the schedule is paused
	ReasonPauseUnknown = "pause_unknown" // the history could not tell whether it is paused
)
