package proc

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// This file holds what callers do with a running Supervisor: look at its
// groups, restart and stop them.

// Started reports whether pid is a process this Supervisor started (through
// process.start, supervised or not) that has not ended yet.
func (s *Supervisor) Started(pid int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.running[pid]
	return ok
}

// Running describes the processes this Supervisor started that have not
// ended, supervised or not (Group ""), by pid.
func (s *Supervisor) Running() []ChildInfo {
	s.mu.Lock()
	out := make([]ChildInfo, 0, len(s.running))
	for _, c := range s.running {
		out = append(out, c.info())
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// Groups returns the names of the supervisor groups, sorted.
func (s *Supervisor) Groups() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.groups))
	for n := range s.groups {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// errNoGroup marks the error of a group name that names no group (never
// made, or removed by supervisor.stop).
var errNoGroup = errors.New("no such supervisor group")

// unknown explains a group name that names no group: one that
// supervisor.stop removed is said to be so, and others are listed with
// the groups that exist and the one likely meant. What to do differs by
// what the caller wanted: a group to act on is made by process.start,
// but a stop has nothing to start; stop says that is what it wanted. The
// error wraps errNoGroup.
func (s *Supervisor) unknown(name string, stop bool) error {
	s.mu.Lock()
	wasStopped := s.stopped[name]
	gone := slices.Sorted(maps.Keys(s.stopped))
	s.mu.Unlock()
	if wasStopped && stop {
		return &tagged{errNoGroup, fmt.Sprintf("supervisor %q was stopped and removed by supervisor.stop already; nothing of it is left to stop", name)}
	}
	if wasStopped {
		return &tagged{errNoGroup, fmt.Sprintf("supervisor %q was stopped and removed by supervisor.stop; nothing of it is left (start processes into it again with process.start and supervisor: %s)", name, name)}
	}
	names := s.Groups()
	known := "none yet"
	if len(names) > 0 {
		known = strings.Join(names, ", ")
	} else if len(gone) > 0 {
		known = "none"
	}
	if len(gone) > 0 {
		shown := gone
		if len(shown) > 10 {
			shown = append(shown[:10:10], "…")
		}
		known += "; stopped: " + strings.Join(shown, ", ")
	}
	msg := fmt.Sprintf("no supervisor %q in this arsenal-run process (known: %s)", name, known)
	meant, ok := suggest.Meant(name, names)
	switch {
	case ok:
		msg += fmt.Sprintf("; did you mean %q?", meant)
	case stop && len(names) > 0:
		msg += "; name one of its groups"
	}
	switch {
	case stop && !ok:
		// A runbook run on its own (arsenal-run run) that stops what a
		// serve or an earlier run started finds no group: groups are
		// each arsenal-run process's own.
		msg += "; a group is known only to the arsenal-run process that started it (a serve, a schedule, or this run): end what another started with process.signal by pid or name_regex"
	case !stop && !ok:
		msg += fmt.Sprintf("; start processes into it with process.start and supervisor: %s", name)
	}
	return &tagged{errNoGroup, msg}
}

// Children describes the processes of a group, in the order they started.
func (s *Supervisor) Children(name string) ([]ChildInfo, error) {
	s.mu.Lock()
	g := s.groups[name]
	var out []ChildInfo
	if g != nil {
		for _, c := range g.children {
			out = append(out, c.info())
		}
	}
	s.mu.Unlock()
	if g == nil {
		return nil, s.unknown(name, false)
	}
	return out, nil
}

// Restart restarts every process of a group now: running ones get SIGTERM
// (SIGKILL after StopGrace) and are started again at once; stopped ones are
// started. Manual restarts do not count towards the intensity limit, and
// give each process the whole limit again. It returns the new pids.
func (s *Supervisor) Restart(ctx context.Context, name string) ([]int, error) {
	s.mu.Lock()
	g := s.groups[name]
	var children []*child
	if g != nil {
		children = append(children, g.children...)
	}
	s.mu.Unlock()
	if g == nil {
		return nil, s.unknown(name, false)
	}
	pids := []int{}
	for _, c := range children {
		pid, err := s.restartOne(ctx, c)
		if err != nil {
			return pids, err
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// RestartPID restarts the supervised process with this pid: the one
// running with it, else one whose last process had it and has ended
// (exited, failed, stopped or given up), which starts again as a group
// restart would start it. A pid the process had before the supervisor
// restarted it is an error that names the pid it has now.
func (s *Supervisor) RestartPID(ctx context.Context, pid int) (int, error) {
	s.mu.Lock()
	var running, ended, earlier *child
	for _, g := range s.groups {
		for _, c := range g.children {
			switch {
			case c.pid == pid && c.w != nil:
				running = c
			case c.pid == pid:
				ended = c
			case slices.Contains(c.former, pid):
				earlier = c
			}
		}
	}
	var now int
	if earlier != nil {
		now = earlier.pid
	}
	s.mu.Unlock()
	switch {
	case running != nil:
		return s.restartOne(ctx, running)
	case ended != nil:
		return s.restartOne(ctx, ended)
	case earlier != nil:
		g := earlier.spec.Group
		return 0, fmt.Errorf("pid %d has ended: supervisor %q restarted that process as pid %d; restart pid %d, or every process of the group with supervisor: %s", pid, g, now, now, g)
	}
	return 0, fmt.Errorf("pid %d is not a process of any supervisor in this arsenal-run process; only processes started with process.start and a supervisor can be restarted", pid)
}

func (s *Supervisor) restartOne(ctx context.Context, c *child) (int, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, errClosed
	}
	if c.reply != nil {
		s.mu.Unlock()
		return 0, fmt.Errorf("pid %d is already being restarted", c.pid)
	}
	reply := make(chan restartResult, 1)
	switch {
	case c.active && c.w != nil:
		c.reply = reply
		w := c.w
		s.mu.Unlock()
		// The SIGKILL stays due whatever becomes of the caller, and for
		// what the process started that outlives it.
		stopTree(w, s.opt.StopGrace, func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return c.w == w
		}, afterGrace)
	case c.active: // in backoff
		c.reply = reply
		select {
		case c.kick <- struct{}{}:
		default:
		}
		s.mu.Unlock()
	default:
		defer s.mu.Unlock()
		endLeftovers(c.pid, c.left, s.opt.StopGrace, afterGrace)
		c.left = nil
		c.restarts++
		c.failures, c.recent = 0, nil // an operator's fresh start, given up or not
		c.stopping = false
		if err := s.spawnLocked(c); err != nil {
			c.status, c.lastErr = "failed", err.Error()
			return 0, err
		}
		s.superviseLocked(c)
		return c.pid, nil
	}
	select {
	case r := <-reply:
		return r.pid, r.err
	case <-ctx.Done():
		// The restart goes on (c.reply stays, its channel has room for
		// the answer no one reads): a caller that times out or hangs
		// up must not leave a restart: never process stopped.
		return 0, context.Cause(ctx)
	}
}

// Stop stops the processes of a group (SIGTERM, SIGKILL after StopGrace),
// and what those that ended left in their process groups, waits for the
// processes to end and forgets the group. It returns the pids that
// were running. A name that names no group is an error that wraps
// errNoGroup.
func (s *Supervisor) Stop(ctx context.Context, name string) ([]int, error) {
	s.mu.Lock()
	g := s.groups[name]
	if g == nil {
		s.mu.Unlock()
		return nil, s.unknown(name, true)
	}
	delete(s.groups, name)
	s.stopped[name] = true
	stopped := []int{}
	var waits []chan struct{}
	for _, c := range g.children {
		c.stopping = true
		endLeftovers(c.pid, c.left, s.opt.StopGrace, s.finishAfter)
		c.left = nil
		if !c.active {
			continue
		}
		waits = append(waits, c.done)
		if w := c.w; w != nil {
			stopped = append(stopped, c.pid)
			stopTree(w, s.opt.StopGrace, func() bool {
				s.mu.Lock()
				defer s.mu.Unlock()
				return c.w == w
			}, s.finishAfter)
		}
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
	for _, d := range waits {
		select {
		case <-d:
		case <-ctx.Done():
			// The SIGKILLs stay due: the group is forgotten already,
			// and its processes must not outlive it unseen.
			return stopped, context.Cause(ctx)
		}
	}
	return stopped, nil
}

// Close stops supervising: no process is restarted or reaped any more, and
// every goroutine of the Supervisor has ended when it returns. The processes
// keep running, but for those a Stop has begun on: what of them is still
// in its grace period gets its SIGKILL now. Close is idempotent.
func (s *Supervisor) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.finishStops()
	s.cancel()
	s.wg.Wait()
	return nil
}
