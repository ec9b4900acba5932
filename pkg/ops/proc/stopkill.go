package proc

import (
	"syscall"
	"time"
)

// This file holds how a stop or a restart ends a process and what it
// left: SIGTERM now, SIGKILL after a grace period.

// afterFunc runs fn after d, as time.AfterFunc does.
type afterFunc func(d time.Duration, fn func())

// afterGrace is the afterFunc of a restart: what it has not killed
// when arsenal-run exits stays as it is.
func afterGrace(d time.Duration, fn func()) { time.AfterFunc(d, fn) }

// finishAfter is the afterFunc of supervisor.stop: fn runs after d, or
// when the Supervisor closes, whichever comes first. A stop that has
// begun removed the group, so what ignored its SIGTERM can no longer be
// named; were the SIGKILL lost with arsenal-run (the run interrupted
// mid-stop, serve stopping), it would run on for good, out of reach.
func (s *Supervisor) finishAfter(d time.Duration, fn func()) {
	s.kmu.Lock()
	defer s.kmu.Unlock()
	if s.kills == nil {
		s.kills = map[int]func(){}
	}
	s.killSeq++
	id := s.killSeq
	s.kills[id] = fn
	time.AfterFunc(d, func() {
		if f := s.takeKill(id); f != nil {
			f()
		}
	})
}

// takeKill removes and returns the due kill id, nil when it ran already.
func (s *Supervisor) takeKill(id int) func() {
	s.kmu.Lock()
	defer s.kmu.Unlock()
	f := s.kills[id]
	delete(s.kills, id)
	return f
}

// finishStops runs at once the kills of the stops still in their grace.
func (s *Supervisor) finishStops() {
	s.kmu.Lock()
	kills := s.kills
	s.kills = nil
	s.kmu.Unlock()
	for _, f := range kills {
		f()
	}
}

// stopTree sends SIGTERM to the process of w and to its process group (a
// supervised process leads its own session, and what it started stays in
// that group unless it moved), and after grace SIGKILL to what is left of
// both, as systemd does to a unit's control group. alive says whether w is
// still the process to SIGKILL by its pidfd; the group gets it either way,
// as the children of a process that ended on SIGTERM may ignore it, while
// one of the processes in it at the stop is still there: a process
// group's id is not given to a new process while any process of the group
// lives, but once all have ended (the leader on SIGTERM, reaped), a new
// session leader may get the same pid, and its group the same id.
func stopTree(w *watcher, grace time.Duration, alive func() bool, after afterFunc) {
	pid := w.pid
	members := groupMembers(pid)
	_ = w.signal(syscall.SIGTERM)
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	after(grace, func() {
		if alive() {
			_ = w.signal(syscall.SIGKILL)
		}
		if sameGroup(pid, members) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	})
}

// endLeftovers sends SIGTERM to what is left of process group pgid, whose
// leader has ended, and after grace SIGKILL to what is left of it then, as
// stopTree does to a running one; left is who else was in the group when
// the leader exited. While one of them is still in it the group's id
// cannot be another's, and then every process in the group is of it.
func endLeftovers(pgid int, left map[int]uint64, grace time.Duration, after afterFunc) {
	if len(left) == 0 {
		return
	}
	members := stillGroup(pgid, left)
	if members == nil {
		return
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	after(grace, func() {
		if sameGroup(pgid, members) {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	})
}
