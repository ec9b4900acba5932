// Package procgroup stops the process group of a program an operation
// runs (shell.exec, plugins): Terminate when the step's context ends,
// Finish once the group's leader has exited. After Finish nothing is
// signalled any more, so a group id reused later is never hit.
package procgroup

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/arsenal-run/arsenal-run/internal/short"
)

// Group is one program's process group. Its methods are safe for
// concurrent use.
type Group struct {
	pgid       int
	grace      time.Duration
	sig        syscall.Signal
	mu         sync.Mutex
	done       bool
	terminated bool
	killed     bool // the grace ran out and SIGKILL was sent
	timer      *time.Timer
}

// New returns the group pgid: Terminate sends it sig (SIGTERM when 0),
// then SIGKILL after grace.
func New(pgid int, sig syscall.Signal, grace time.Duration) *Group {
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	return &Group{pgid: pgid, sig: sig, grace: grace}
}

// PGID returns the group's id.
func (g *Group) PGID() int { return g.pgid }

// Terminate sends the group its signal, and SIGKILL after the grace.
func (g *Group) Terminate() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done {
		return
	}
	g.terminated = true
	_ = syscall.Kill(-g.pgid, g.sig)
	g.timer = time.AfterFunc(g.grace, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if !g.done {
			g.killed = true
			_ = syscall.Kill(-g.pgid, syscall.SIGKILL)
		}
	})
}

// Finish kills what is left of the group, once its leader has exited (a
// zombie leader keeps the group id from being reused), and ends it.
func (g *Group) Finish() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done {
		return
	}
	g.done = true
	if g.timer != nil {
		g.timer.Stop()
	}
	_ = syscall.Kill(-g.pgid, syscall.SIGKILL)
}

// WasTerminated reports whether Terminate ran before Finish.
func (g *Group) WasTerminated() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.terminated
}

// Stopping says which signals Terminate sent and when, the grace named
// as the user sets it (graceName, "kill_grace"): "sent TERM, still
// running after kill_grace 5s, sent KILL", or "sent TERM, and it ended
// within kill_grace 5s". It is "" when Terminate did not run.
func (g *Group) Stopping(graceName string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.terminated {
		return ""
	}
	sig := strings.TrimPrefix(unix.SignalName(g.sig), "SIG")
	if g.sig == syscall.SIGKILL {
		return "sent KILL"
	}
	if g.killed {
		return fmt.Sprintf("sent %s, still running after %s %s, sent KILL", sig, graceName, short.Duration(g.grace))
	}
	return fmt.Sprintf("sent %s, and it ended within %s %s", sig, graceName, short.Duration(g.grace))
}
