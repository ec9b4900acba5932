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
	s.log.Info().Str("supervisor", c.spec.Group).Int("pid", c.pid).Int("exit_code", *c.exitCode).Dur("backoff", delay).Msg("restarting process")
	return delay, true
}
