package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Fingerprint identifies the slots of a schedule: two schedules with the
// same fingerprint fire at the same times.
func Fingerprint(sc *steps.Schedule) string {
	tz := sc.Timezone
	if sc.Location != nil {
		tz = sc.Location.String()
	}
	return sc.Cron + "|" + tz
}

// Load makes pbs the set of scheduled playbooks, all at once or not at
// all: when a playbook has no schedule, a schedule that does not compile
// or whose jitter is not shorter than its interval (JitterProblem),
// or a name another one has, or the store cannot record the set, Load
// returns the problems and the set loaded before stays, untouched, and the
// problem shows in the health. Checking the files themselves is the
// caller's, before Load; ReloadFailed reports what it found.
//
// The first Load also settles the slots a process that ended (a crash,
// kill -9) left queued: they are recorded missed. A playbook a reload
// adds, or adds back after removing it, is new from now on: no slot
// before the reload fires, or is recorded missed.
//
// A playbook whose name and schedule (cron and time zone) are unchanged
// keeps its state: its next slot, its running runs and queued slot, its
// last run. Other changes (overlap, jitter, catch-up, steps) apply from its
// next slot. A playbook whose schedule changed starts over from now: its
// new schedule never fires for a time before the reload. A playbook no
// longer in the set fires no more; its running runs go on and count at
// shutdown.
func (s *Scheduler) Load(pbs []*steps.Playbook) error {
	type compiled struct {
		pb *steps.Playbook
		tt *Timetable
		fp string
	}
	var errs []error
	byName := map[string]*steps.Playbook{}
	var set []compiled
	for _, pb := range pbs {
		switch {
		case pb == nil:
			errs = append(errs, errors.New("a nil playbook"))
			continue
		case pb.Schedule == nil:
			errs = append(errs, fmt.Errorf("%s: playbook %s has no schedule", pb.File, pb.Name))
			continue
		case byName[pb.Name] != nil:
			errs = append(errs, fmt.Errorf("%s: playbook name %s is also used by %s; scheduled playbooks need names of their own: rename one of them",
				pb.NameLocation(), pb.Name, byName[pb.Name].NameLocation()))
			continue
		}
		byName[pb.Name] = pb
		tt, err := ForSchedule(pb.Schedule)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", pb.File, err))
			continue
		}
		if msg := JitterProblem(pb.Schedule, s.cfg.Clock.Now()); msg != "" {
			errs = append(errs, fmt.Errorf("%s: playbook %s: %s", pb.File, pb.Name, msg))
			continue
		}
		set = append(set, compiled{pb, tt, Fingerprint(pb.Schedule)})
	}
	if err := errors.Join(errs...); err != nil {
		s.ReloadFailed(err)
		return err
	}

	// One Load at a time, in the order they were asked for; the store
	// records the schedules with s.mu released, so that a slow store
	// holds neither /healthz nor the runs that start or end meanwhile.
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.mu.Lock()
	stopping, first, now := s.stopping, s.since.IsZero(), s.cfg.Clock.Now()
	s.mu.Unlock()
	if stopping {
		return errStopping
	}
	refs := make([]history.ScheduleRef, len(set))
	for i, c := range set {
		refs[i] = history.ScheduleRef{Playbook: c.pb.Name, Fingerprint: c.fp}
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	cursors, err := s.cfg.Store.TrackSchedules(ctx, now, refs)
	if err == nil && first {
		// No playbook is loaded yet: nothing of this process can have
		// queued a slot.
		s.settleLeftQueued(ctx, byName, now)
	}

	s.mu.Lock()
	defer s.unlock()
	// A batch being recorded is acted on with the entries it was decided
	// for.
	s.waitClaim()
	if s.stopping {
		return errStopping
	}
	if err != nil {
		err = fmt.Errorf("scheduler: the history cannot record the schedules: %w", err)
		s.reloadFailedLocked(err, now)
		return err
	}
	if first {
		s.since = now
	}
	entries := make(map[string]*entry, len(set))
	var added, rescheduled, changed, removed []string
	for _, c := range set {
		old := s.entries[c.pb.Name]
		if old != nil && old.fingerprint == c.fp {
			if old.pb.SHA256 != c.pb.SHA256 || old.pb.File != c.pb.File {
				changed = append(changed, c.pb.Name)
			}
			if j := c.pb.Schedule.Jitter; j != old.pb.Schedule.Jitter {
				s.rejitter(old, j, now)
			}
			old.pb = c.pb
			entries[c.pb.Name] = old
			continue
		}
		if old == nil {
			added = append(added, c.pb.Name)
		} else {
			rescheduled = append(rescheduled, c.pb.Name)
		}
		e := &entry{pb: c.pb, tt: c.tt, fingerprint: c.fp}
		cur := cursors[c.pb.Name]
		e.cursor = later(cur.Last, cur.Since)
		if old == nil && !first {
			// Added, or added back, by a reload: its schedule did not
			// exist here before now, and never fires for a time before
			// it, as an edited one does not.
			e.cursor = later(e.cursor, now)
			// Added back while runs of when it was removed still go:
			// they are its runs, for its overlap policy, as they are
			// when a reload changes its schedule.
			for r := range s.retired {
				if r.pb.Name == c.pb.Name {
					e.running, e.last = r.running, r.last
					for _, rs := range e.running {
						rs.owner = e
					}
					delete(s.retired, r)
				}
			}
		}
		if old != nil {
			s.dropAhead(old, ReasonReloaded, "the schedule was changed by a reload", now)
			// The schedule changed: the runs and the queued slot are
			// still this playbook's.
			e.running, e.pending, e.last = old.running, old.pending, old.last
			for _, rs := range e.running {
				rs.owner = e
			}
			e.cursor = later(e.cursor, old.cursor)
		}
		s.plan(e, now)
		entries[c.pb.Name] = e
	}
	for name, old := range s.entries {
		if entries[name] != nil {
			continue
		}
		old.removed = true
		s.dropAhead(old, ReasonRemoved, "the playbook was removed from the schedule", now)
		if p := old.pending; p != nil {
			s.metrics.missed.WithLabelValues(s.metrics.label(name)).Inc()
			s.settle(old, p.slot, history.SlotMissed, p.blockedBy, removedQueuedMessage, now)
			slotEvent(s.log.Warn(), old, p.slot).Str("blocked_by", p.blockedBy).Str("reason", ReasonRemoved).Msg(removedQueuedMessage)
			old.pending = nil
		}
		if len(old.running) == 0 {
			s.log.Info().Str("playbook", name).Msg("no longer scheduled")
		} else {
			s.retired[old] = struct{}{}
			ids := make([]string, 0, len(old.running))
			for _, rs := range old.running {
				if rs.id == "" {
					ids = append(ids, "(starting)") // launched, no id yet
				} else {
					ids = append(ids, rs.id)
				}
			}
			s.log.Info().Str("playbook", name).Strs("running", ids).Msg("no longer scheduled; its runs still going finish, and no slot of it fires after them")
		}
		removed = append(removed, name)
	}
	if first {
		s.warnClockBehind(entries, now)
	}
	s.entries = entries
	s.names = s.names[:0]
	for name := range entries {
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
	s.reloadErr = nil
	s.metrics.loaded.Set(float64(len(entries)))
	s.metrics.reloads.WithLabelValues("ok").Inc()
	ev := s.log.Info().Int("playbooks", len(entries))
	if !first {
		for _, l := range []struct {
			key   string
			names []string
		}{{"added", added}, {"schedule_changed", rescheduled}, {"file_changed", changed}, {"removed", removed}} {
			if len(l.names) > 0 {
				sort.Strings(l.names)
				ev = ev.Strs(l.key, l.names)
			}
		}
	}
	ev.Msg("schedules loaded")
	s.signal()
	return nil
}

// errStopping is Load's error once the scheduler stops.
var errStopping = errors.New("scheduler: stopping; not loading")

// queuedLister is a Store that can list the slots recorded queued
// (history.Store): the first Load settles those a process that ended
// left.
type queuedLister interface {
	QueuedSlots(ctx context.Context) ([]history.Slot, error)
}

// LeftQueuedMessage is the message of a slot a scheduler process left
// queued when it ended.
const LeftQueuedMessage = "missed: the scheduler process ended before the queued run could start"

// stoppedQueuedMessage is the message of a slot still queued when the
// scheduler stops: it is recorded missed.
const stoppedQueuedMessage = "missed: the scheduler stopped before the queued run could start"

// removedQueuedMessage is the message of a slot still queued when a
// reload removes its playbook: it is recorded missed.
const removedQueuedMessage = "missed: the playbook was removed from the schedule before its queued run could start"

// settleLeftQueued records missed the slots left queued by a process that
// ended before their runs could start (one scheduler per state dir: none
// is this one's). byName gives the path of the playbooks still
// scheduled. A failure is logged: the slots stay queued, as before.
func (s *Scheduler) settleLeftQueued(ctx context.Context, byName map[string]*steps.Playbook, now time.Time) {
	ql, ok := s.cfg.Store.(queuedLister)
	if !ok {
		return
	}
	left, err := ql.QueuedSlots(ctx)
	if err != nil {
		s.log.Error().Err(err).Msg("could not read the slots left queued by an earlier process; they stay queued")
		return
	}
	for _, sl := range left {
		sl.Outcome, sl.Message, sl.At = history.SlotMissed, LeftQueuedMessage, now
		if pb := byName[sl.Playbook]; pb != nil {
			sl.Path, sl.SHA256 = pb.AbsPath(), pb.SHA256
		}
		if err := s.cfg.Store.SettleSlot(ctx, sl); err != nil {
			s.log.Error().Err(err).Str("playbook", sl.Playbook).Str("slot", sl.Slot.Format(time.RFC3339)).Msg("could not record a slot left queued as missed")
			continue
		}
		s.metrics.missed.WithLabelValues(s.metrics.label(sl.Playbook)).Inc()
		s.log.Warn().Str("playbook", sl.Playbook).Str("slot", sl.Slot.Format(time.RFC3339)).Str("blocked_by", sl.BlockedBy).Str("reason", ReasonProcessEnded).Msg(LeftQueuedMessage)
	}
}

// ReloadFailed records that a reload did not happen because of err (the
// files that did not validate, with their names): it is logged and shown
// in the health until a Load succeeds. The loaded set stays as it was.
func (s *Scheduler) ReloadFailed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloadFailedLocked(err, s.cfg.Clock.Now())
}

func (s *Scheduler) reloadFailedLocked(err error, now time.Time) {
	s.reloadErr = &Problem{At: now, Message: err.Error()}
	s.metrics.reloads.WithLabelValues("error").Inc()
	s.log.Error().Err(err).Int("playbooks", len(s.entries)).Msg("reload failed; the schedules loaded before stay")
}

// warnClockBehind says, at start, when the wall clock reads earlier than
// slots already decided (it was set back while no scheduler ran: a VM
// snapshot restored, an NTP step): those playbooks fire nothing until the
// clock passes their newest decided slot, which would otherwise look like
// a scheduler that hangs. A running scheduler says so as the clock goes
// back (tick).
func (s *Scheduler) warnClockBehind(entries map[string]*entry, now time.Time) {
	var names []string
	var newest time.Time
	for name, e := range entries {
		if e.cursor.After(now.Add(time.Second)) {
			names = append(names, name)
			newest = later(newest, e.cursor)
		}
	}
	if len(names) == 0 {
		return
	}
	sort.Strings(names)
	s.log.Warn().Strs("playbooks", names).Str("newest_slot", newest.UTC().Format(time.RFC3339)).Str("behind_by", short.Duration(newest.Sub(now).Round(time.Second))).
		Msg("the wall clock is behind slots already decided (it was set back); those playbooks fire nothing until it passes them, so that no slot fires twice")
}
