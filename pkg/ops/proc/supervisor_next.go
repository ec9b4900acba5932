package proc

import (
	"fmt"
	"syscall"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/procres"
)

// exited records the end of the process.
func (c *child) exited(ws syscall.WaitStatus, ru *syscall.Rusage, stable time.Duration) {
	code := ws.ExitStatus()
	c.resources = nil
	if ru != nil {
		r := procres.FromRusage(ru)
		c.resources = &r
	}
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
		if c.resources != nil {
			c.resources.Signal = procres.SignalName(ws.Signal())
		}
	}
	c.exitCode = &code
	c.status = "exited"
	if code != 0 {
		c.status = "failed"
	}
	if time.Since(c.startedAt) >= stable {
		c.failures = 0
	}
}

// nextLocked decides whether and when c restarts.
func (s *Supervisor) nextLocked(c *child) (time.Duration, bool) {
	switch {
	case c.stopping || s.closed:
		c.status = "stopped"
		return 0, false
	case c.reply != nil: // a manual restart: at once, not counted, and a fresh start
		c.restarts++
		c.failures, c.recent = 0, nil
		return 0, true
	case c.spec.Restart == RestartNever || c.spec.Group == "":
		return 0, false
	case c.spec.Restart == RestartOnFailure && c.status == "exited":
		return 0, false
	}
	now := time.Now()
	kept := c.recent[:0]
	for _, t := range c.recent {
		if now.Sub(t) < s.opt.Period {
			kept = append(kept, t)
		}
	}
	c.recent = kept
	if len(c.recent) >= s.opt.MaxRestarts {
		c.status = "gave_up"
		why := ""
		if c.lastErr != "" { // set by a restart that failed, cleared by one that did not
			why = "; the last restart failed: " + c.lastErr
		}
		c.lastErr = fmt.Sprintf("restarted %d times within %s (restart intensity limit); gave up%s", len(c.recent), short.Duration(s.opt.Period), why)
		s.log.Error().Str("supervisor", c.spec.Group).Int("pid", c.pid).Msg("process keeps failing: " + c.lastErr)
		c.noteLocked("error", fmt.Sprintf("supervisor %s: pid %d keeps failing: %s", c.spec.Group, c.pid, c.lastErr))
		return 0, false
	}
	c.recent = append(c.recent, now)
	c.restarts++
	c.failures++
	delay := s.opt.Backoff << min(c.failures-1, 20)
	if delay > s.opt.MaxBackoff || delay <= 0 {
		delay = s.opt.MaxBackoff
	}
	c.status = "backoff"
	s.log.Info().Str("supervisor", c.spec.Group).Int("pid", c.pid).Int("exit_code", *c.exitCode).Int64("backoff_ms", delay.Milliseconds()).Msg("restarting process")
	level := "info"
	if *c.exitCode != 0 {
		level = "warn"
	}
	c.noteLocked(level, fmt.Sprintf("supervisor %s: pid %d exited with code %d; restarting it in %s (restart %d)", c.spec.Group, c.pid, *c.exitCode, short.Duration(delay), c.restarts))
	return delay, true
}

// restartedLocked says that the supervisor restarted c, whose process
// had the pid old, on its own: which pid it runs as now, the one that
// supervisor.restart, process.signal and a reader of the log need.
func (s *Supervisor) restartedLocked(c *child, old int) {
	s.log.Info().Str("supervisor", c.spec.Group).Int("old_pid", old).Int("pid", c.pid).Msg("process restarted")
	level := "info"
	if c.exitCode != nil && *c.exitCode != 0 {
		level = "warn" // as the line that said it ended: the two tell one story
	}
	c.noteLocked(level, fmt.Sprintf("supervisor %s: pid %d restarted as pid %d (restart %d)", c.spec.Group, old, c.pid, c.restarts))
}

// note is a message for the run that started a process (Spec.Say).
type note struct{ level, text string }

// noteLocked keeps a message for the run, told once mu is released: the
// run's observers write to a terminal, which may block.
func (c *child) noteLocked(level, text string) {
	if c.spec.Say != nil {
		c.notes = append(c.notes, note{level, text})
	}
}

// takeNotes returns the messages kept for the run and forgets them; mu is
// held.
func (c *child) takeNotes() []note {
	n := c.notes
	c.notes = nil
	return n
}

// say tells the run the messages; mu is not held.
func (c *child) say(notes []note) {
	for _, n := range notes {
		c.spec.Say(n.level, n.text)
	}
}
