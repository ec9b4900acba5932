package scheduler

import (
	"runtime/debug"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// decision is what one tick decided for one slot of one entry.
type decision struct {
	e       *entry
	rec     history.Slot
	replace bool // queued to replace the running runs
	fireAt  time.Time
	planned time.Time // the slot plus its jitter: its run's delay counts from it
	run     *runState // fired: the run it starts
	behind  *runState // skipped behind a run still starting: its record waits for the run's id
	// waitsFor, for a slot queued, is the newest run going when it was
	// decided, which may have had no id yet.
	waitsFor *runState
	// reason, for a slot missed or skipped, is why, one of the Reason
	// words: its line carries it, beside the message recorded.
	reason  string
	gap     *gap          // on the first decision of a gap of slots found at once: logged
	catchUp time.Duration // how late the slot caught up (catchup: last) was found
}

// logDuration writes d for a log field as people write it: to the second
// from a minute on (5m12s, not 5m12.004817s), to the millisecond below,
// without zero units (2h, not 2h0m0s).
func logDuration(d time.Duration) string {
	if d >= time.Minute || d <= -time.Minute {
		return short.Duration(d.Round(time.Second))
	}
	return short.Duration(d.Round(time.Millisecond))
}

// wholeMS is d in whole milliseconds, rounded, as every *_ms field of the
// log and the API has it.
func wholeMS(d time.Duration) int64 { return d.Round(time.Millisecond).Milliseconds() }

// storeRetry is how long the loop waits before it tries again a playbook
// whose slots the store could not record.
const storeRetry = 5 * time.Second

// tick decides every slot that is due at the clock's time, records the
// decisions in one batch, starts the runs, and returns how long the loop
// may sleep (at most Config.Recheck, so that a wall-clock jump is noticed)
// and whether old slot records are due for pruning.
func (s *Scheduler) tick() (time.Duration, bool) {
	s.mu.Lock()
	defer s.unlock()
	now := s.cfg.Clock.Now()
	if !s.lastNow.IsZero() && now.Before(s.lastNow.Add(-time.Second)) {
		s.log.Warn().Str("by", logDuration(s.lastNow.Sub(now))).Msg("the wall clock went back; slots already decided will not fire again")
	}
	s.prevNow, s.prevElapsed = s.lastNow, s.lastElapsed
	s.lastNow = now
	if c, ok := s.cfg.Clock.(elapsedClock); ok {
		s.lastElapsed = c.Elapsed()
	}
	s.ticks++
	if s.stopping {
		return s.cfg.Recheck, false
	}
	s.startAhead(now)
	var batch []decision
	ahead := false
	for _, name := range s.names {
		e := s.entries[name]
		if e.ahead != nil || e.resuming() {
			// Its run, claimed ahead, starts first (startAhead); its
			// queued slot is being started (resumeQueued), which wakes
			// the loop once done.
			continue
		}
		if s.decidesAhead(e, now) {
			batch = s.dueAhead(batch, e, now)
			ahead = true
			continue
		}
		batch = append(batch, s.due(e, now)...)
	}
	if len(batch) > 0 && s.applyPauses(batch, now) {
		s.commit(batch, now)
	}
	if ahead {
		s.adjustLead(s.cfg.Clock.Now().Sub(now))
	}
	s.startAhead(s.cfg.Clock.Now())
	// Old slot records are pruned on the first tick, then hourly: waiting
	// an hour first meant that a daemon restarted more often than that
	// (deploys, crashes, a timer) never pruned them at all.
	prune := false
	if !now.Before(s.nextPrune) {
		prune = true
		s.nextPrune = now.Add(time.Hour)
	}
	// The wait counts from the end of the tick, not from now: recording
	// a batch takes a while, and a wait measured from the tick's start
	// would make every later slot fire that much late.
	return s.sleepFor(s.cfg.Clock.Now()), prune
}

// sleepFor is how long the loop may wait: until the earliest time a slot
// is decided (its fire time, less the lead while that is still to come),
// a run claimed ahead starts, or a retry, at most Config.Recheck.
func (s *Scheduler) sleepFor(now time.Time) time.Duration {
	wait := s.cfg.Recheck
	for _, e := range s.entries {
		if e.next.IsZero() || e.ahead != nil || e.resuming() {
			continue
		}
		at := e.fireAt
		if early := at.Add(-s.lead); early.After(now) {
			// An entry busy now may be idle then; one still busy
			// then waits for its fire time.
			at = early
		}
		wait = min(wait, later(at, e.retryAt).Sub(now))
	}
	for _, rs := range s.ahead {
		wait = min(wait, rs.startAt.Sub(now))
	}
	return max(wait, time.Millisecond)
}

// due returns the decisions for e's slots that have come by now: every
// slot but the newest was missed, and the newest fires when it is on time,
// or late under catchup: last within starting_deadline; otherwise it was
// missed too. Under Config.Takeover, the slots of the gap within it fire,
// the newest too, whatever catchup says, but for those past their
// starting_deadline, which were missed as after downtime. A panic here (a
// bug) is logged and moves e past now, so it cannot stop later slots.
func (s *Scheduler) due(e *entry, now time.Time) (out []decision) {
	if e.next.IsZero() || now.Before(e.fireAt) || now.Before(e.retryAt) {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error().Str("playbook", e.pb.Name).Interface("panic", p).Str("stack", string(debug.Stack())).Msg("internal error while deciding a slot; moving on to the next")
			out = nil
			e.cursor = later(e.cursor, now)
			s.plan(e, now)
		}
	}()
	slots, more := e.tt.Between(e.cursor, now, MaxMissedRecorded+1)
	if len(slots) == 0 {
		s.plan(e, now)
		return nil
	}
	sc := e.pb.Schedule
	rec := func(slot time.Time, outcome history.SlotOutcome, msg string) history.Slot {
		return history.Slot{Playbook: e.pb.Name, Path: e.pb.AbsPath(), SHA256: e.pb.SHA256, Slot: slot, Outcome: outcome, Message: msg, At: now}
	}
	missed := func(slot time.Time, reason, msg string) decision {
		return decision{e: e, rec: rec(slot, history.SlotMissed, msg), reason: reason}
	}
	latest := slots[len(slots)-1]
	defer func() {
		// Logged once the pauses are applied and the batch recorded
		// (logGaps): a slot of a paused schedule is skipped, not missed.
		if len(out) > 0 && (len(slots) > 1 || more) && !s.inTakeover(slots[0], now) {
			out[0].gap = &gap{latest: latest, more: more}
		}
	}()
	for _, slot := range slots[:len(slots)-1] {
		switch {
		case !s.inTakeover(slot, now):
			reason, msg := s.missedWhy(e, slot, now)
			out = append(out, missed(slot, reason, msg))
		case pastDeadline(sc, slot, now):
			reason, msg := lateMessage(sc, slot, now, now.Sub(slot))
			out = append(out, missed(slot, reason, msg))
		case sc.Overlap == "replace":
			// The newest slot of the gap fires too and would cancel this
			// one's run at once: it is not started only to be cancelled.
			out = append(out, decision{e: e, rec: rec(slot, history.SlotSkipped, "skipped: replaced by the slot of "+latest.Format(time.RFC3339)+" (overlap: replace)"), reason: ReasonReplaced})
		default:
			out = append(out, withPlanned(s.overlap(e, out, rec(slot, history.SlotFired, ""), now), slot))
		}
	}
	// planned is when the slot should have fired; fireAt, when its run
	// starts: later, for a slot found late and fired all the same.
	planned := latest
	if latest.Equal(e.next) {
		planned = e.fireAt
	}
	fireAt := planned
	late := now.Sub(planned)
	switch {
	case late <= s.tolerance(sc):
	case s.inTakeover(latest, now) && !pastDeadline(sc, latest, now):
		// The previous leader died before it fired this slot: the slot
		// was not missed, only taken over late, as the older ones of the
		// gap are.
		fireAt = now
	case sc.Catchup == "last" && !pastDeadline(sc, latest, now):
		d := withPlanned(s.overlap(e, out, rec(latest, history.SlotFired, ""), now), planned)
		d.catchUp = late
		return append(out, d)
	default:
		reason, msg := lateMessage(sc, latest, now, late)
		return append(out, missed(latest, reason, msg))
	}
	return append(out, withPlanned(s.overlap(e, out, rec(latest, history.SlotFired, ""), fireAt), planned))
}

// withPlanned sets the planned start of d's slot, and of the run d
// starts, if any: a slot queued keeps it for the run it starts later.
func withPlanned(d decision, planned time.Time) decision {
	d.planned = planned
	if d.run != nil {
		d.run.planned = planned
	}
	return d
}

// tolerance is how late a slot of sc may be found and still fire as on
// time: Config.Tolerance, or a shorter starting_deadline.
func (s *Scheduler) tolerance(sc *steps.Schedule) time.Duration {
	if d := sc.StartingDeadline; d > 0 && d < s.cfg.Tolerance {
		return d
	}
	return s.cfg.Tolerance
}

// inTakeover tells whether slot, found at now, is within the takeover
// window, where a slot the previous leader left fires whatever catchup
// says.
func (s *Scheduler) inTakeover(slot, now time.Time) bool {
	return s.cfg.Takeover > 0 && now.Sub(slot) <= s.cfg.Takeover
}

// pastDeadline tells whether slot is too late at now to start under its
// schedule's starting_deadline. It is the one rule for every slot that
// starts late: caught up after downtime, taken over from a leader that
// died, or queued behind a run.
func pastDeadline(sc *steps.Schedule, slot, now time.Time) bool {
	return sc.StartingDeadline > 0 && now.Sub(slot) > sc.StartingDeadline
}

// slotEvent adds the playbook and the slot to ev. It is built only for
// the slots that are logged: a fired one is not, and a second may fire a
// thousand.
func slotEvent(ev *zerolog.Event, e *entry, slot time.Time) *zerolog.Event {
	return ev.Str("playbook", e.pb.Name).Str("slot", slot.Format(time.RFC3339))
}

// start launches the run rs of its owner; the run's goroutine belongs to
// s.runs.
func (s *Scheduler) start(rs *runState) {
	e := rs.owner
	e.running = append(e.running, rs)
	s.launching++
	s.runs.Add(1)
	logged := make(chan struct{})
	job := Job{Playbook: e.pb, Slot: rs.slot.In(e.tt.Location()), Trigger: history.TriggerSchedule, Logged: logged}
	go s.supervise(rs, job, logged)
}

// supervise launches one run and waits for it to end; it closes logged,
// which is job.Logged, once it logged the run's start, or when it
// returns without having logged it.
func (s *Scheduler) supervise(rs *runState, job Job, logged chan struct{}) {
	defer s.runs.Done()
	isLogged := false
	defer func() {
		if !isLogged {
			close(logged)
		}
	}()
	if rs.fired != nil {
		s.writeSettle(*rs.fired) // counted in launching, as the Launch
	}
	// Before the lock: the check may hash the file. The run service
	// takes the verdict for the run's own warning rather than checking
	// the file again.
	drift, driftErr := s.disk.Check(job.Playbook)
	rs.file = steps.FileVerdict{Drift: drift, Err: driftErr}
	job.File = &rs.file
	h, err := safeLaunch(s.cfg.Launcher, job)
	s.mu.Lock()
	now := s.cfg.Clock.Now()
	s.launching--
	e := rs.owner
	slot := rs.slot.Format(time.RFC3339)
	if err != nil {
		removeRun(e, rs)
		// The slots skipped behind it keep their records, which name
		// no run.
		s.logSkipped(rs.skipped, "")
		msg := "the run could not be started: " + err.Error()
		s.settle(e, rs.slot, history.SlotFailed, "", msg, now)
		e.last = &RunInfo{Slot: rs.slot, Status: report.StatusFailed, FinishedAt: &now, Error: msg}
		s.ended(e, string(report.StatusFailed))
		s.log.Error().Str("playbook", e.pb.Name).Str("slot", slot).Err(err).Msg("the run could not be started")
		s.afterEnd(e, now)
		s.signalIfStopping()
		s.unlock()
		return
	}
	rs.handle, rs.id = h, safeID(h)
	if p := e.pending; p != nil && p.blockedBy == "" {
		// The slot was queued behind a run still starting (one fired in
		// the same batch): this is the run it waits for.
		p.blockedBy = rs.id
	}
	s.logSkipped(rs.skipped, rs.id)
	s.nameBlocker(rs.skipped, rs.id)
	rs.skipped = nil
	if rs.cancel != nil {
		safeCancel(h, rs.cancel)
	}
	done := safeDone(h)
	var waited time.Duration // for a place, when the run waited for one
	didWait := false
	if started := startedOf(h); !isClosed(started) {
		// The run waits for a place (--max-concurrent-runs): it counts
		// as waiting, and starts, or not, later.
		rs.waiting, didWait = true, true
		s.metrics.waiting.Inc()
		s.logWaiting(e, rs, slot, now)
		if s.stopping {
			s.withdraw(rs, now)
		}
		s.unlock()
		select {
		case <-started:
		case <-ranOutOf(h, done):
		}
		if !isClosed(started) {
			// It ended without starting: no start is logged, and its
			// watcher, held back until Logged, follows it to the end
			// (done) only once Logged is closed.
			close(logged)
			isLogged = true
			<-done
		}
		s.mu.Lock()
		rs.waiting = false
		s.metrics.waiting.Dec()
		if !isClosed(started) {
			s.endedUnstarted(rs, h)
			s.unlock()
			return
		}
		e = rs.owner
		t := s.cfg.Clock.Now()
		waited, now = t.Sub(now), t
	}
	rs.start = now
	planned := rs.planned
	if planned.IsZero() {
		planned = rs.fireAt
	}
	delay := now.Sub(planned)
	s.metrics.fireDelay.Observe(max(delay, 0).Seconds())
	s.metrics.running.Inc()
	ev := s.log.Info().Str("playbook", e.pb.Name).Str("run_id", rs.id).Str("slot", slot).Int64("delay_ms", wholeMS(delay))
	if didWait {
		// The part of delay_ms spent waiting for a place.
		ev = ev.Int64("waited_ms", wholeMS(waited))
	}
	ev.Msg("run started")
	logDrift(&s.log, job.Playbook, rs.id, slot, drift, driftErr)
	close(logged)
	isLogged = true
	s.mu.Unlock()

	<-done
	status := safeStatus(h)
	s.mu.Lock()
	now = s.cfg.Clock.Now()
	e = rs.owner
	removeRun(e, rs)
	s.metrics.running.Dec()
	e.last = &RunInfo{ID: rs.id, Slot: rs.slot, Status: status, StartedAt: &rs.start, FinishedAt: &now}
	if status == history.StatusRunning && s.cfg.LetGo {
		// Let go of at shutdown: it has not ended, and goes on elsewhere;
		// the series of ended runs do not count it, nor its time so far.
		s.log.Info().Str("playbook", e.pb.Name).Str("run_id", rs.id).Str("slot", slot).Msg("run let go: it goes on where it executes")
	} else {
		s.ended(e, string(status))
		s.seriesOf(e).duration.Observe(now.Sub(rs.start).Seconds())
		s.log.WithLevel(engine.RunEndLevel(status)).Str("playbook", e.pb.Name).Str("run_id", rs.id).Str("slot", slot).Str("status", string(status)).Msg("run ended")
	}
	s.afterEnd(e, now)
	s.signalIfStopping()
	s.unlock()
}

// signalIfStopping wakes shutdown, which waits for the runs to end; the
// loop itself has nothing to do when a run starts or ends, so it is not
// woken (a thousand runs a second would wake it a thousand times). s.mu is
// held, so whoever holds it and sees an empty wake channel knows there is
// nothing left to take in.
func (s *Scheduler) signalIfStopping() {
	if s.stopping {
		s.signal()
	}
}
