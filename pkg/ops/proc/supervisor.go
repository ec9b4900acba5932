package proc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Restart is a restart policy for a supervised process.
type Restart string

// The restart policies.
const (
	RestartNever     Restart = "never"      // leave it down
	RestartOnFailure Restart = "on-failure" // restart unless it exited with code 0
	RestartAlways    Restart = "always"     // restart whenever it exits
)

// Spec says how to start a process.
type Spec struct {
	Command []string // argv; a name without / is looked up in PATH
	// Base is the environment the process starts from (the run's, as
	// ops.Environ gives it); nil is this process's own.
	Base   []string
	Env    []string   // KEY=value, added to Base
	Dir    string     // working directory; "" = this process's
	Stdout OutputFile // file the output is appended to; zero = discarded
	Stderr OutputFile // likewise for errors
	// Group names the supervisor group; "" starts the process
	// unsupervised: it is only reaped when it exits.
	Group   string
	Restart Restart // "" = never
	// Secrets are the values masked wherever the process's command line
	// is shown: those of the run that started it (ops.Call.Secrets). The
	// server that lists it runs no playbook and knows them not.
	Secrets []string
	// Judge, when not nil, is asked before every start of the process,
	// the supervisor's restarts too: an error refuses that start. It
	// judges again the files the process would run (a program another
	// user could swap since the first start).
	Judge func() error
	// Say, when not nil, tells the run that started the process of its
	// automatic restarts, and of giving up on it (ops.Call.Message). It
	// is never called with the Supervisor's lock held.
	Say func(level, text string)
}

// Options tune a Supervisor; zero fields take the defaults.
type Options struct {
	Backoff     time.Duration // delay before the first restart; default 500ms, doubled per consecutive failure
	MaxBackoff  time.Duration // cap of the delay; default 30s. A process that ran this long resets the doubling
	MaxRestarts int           // restart intensity: at most this many automatic restarts of one process...
	Period      time.Duration // ...within this window, else the supervisor gives up on it; default 5 in 60s
	StopGrace   time.Duration // SIGTERM to SIGKILL on restart and stop; default 5s
	Log         *zerolog.Logger
}

// ChildInfo describes a supervised process.
type ChildInfo struct {
	Group   string
	PID     int // the current process, or the last one when not running
	Name    string
	Command []string
	Restart Restart
	// Status is running, backoff, exited, failed, gave_up, stopped, or
	// unsupervised: running when the Supervisor was closed, after which
	// nothing restarts, watches or reaps it, and it may run still.
	Status    string
	Restarts  int
	StartedAt time.Time
	// ExitCode is how the process PID ended, 128+N when killed by signal
	// N; nil while it runs (or before any process ended).
	ExitCode *int
	// LastExitCode is how the latest process of this slot to end ended:
	// while a restarted process runs, its predecessor's; once it has
	// ended, its own (ExitCode).
	LastExitCode *int
	// Resources is what the process used, from the rusage of its last
	// exit; nil while it runs or when it was reaped elsewhere.
	Resources *ops.Resources
	Error     string
}

// Supervisor starts processes and keeps those in named groups running by
// their restart policy, with capped exponential backoff and a restart
// intensity limit per process (as systemd's start limit: more than
// MaxRestarts in Period and it gives up on the process and records why;
// one process that keeps failing uses up no other's restarts). It also reaps the
// unsupervised processes it starts, so none lingers as a zombie.
//
// A Supervisor is created by the program (main) and shared by the ops; it is
// safe for concurrent use. Close stops supervising and waits for its
// goroutines; the processes themselves keep running.
type Supervisor struct {
	opt    Options
	log    zerolog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	groups  map[string]*group
	running map[int]*child  // every process started and not yet reaped
	stopped map[string]bool // groups supervisor.stop removed, until started again

	// seen holds the secrets of the processes it started, the newest
	// MaxSeenSecrets of them, oldest first; masker masks them all. A
	// process's forks, its workers and the orphans it leaves carry its
	// command line under pids it never learns.
	seen   []string
	masker *redact.Redactor

	// kmu guards the SIGKILLs of stops in their grace period, by id
	// (finishAfter). It may be taken while mu is held, never the
	// other way round.
	kmu     sync.Mutex
	kills   map[int]func()
	killSeq int
}

type group struct {
	children []*child
}

type restartResult struct {
	pid int
	err error
}

// maxFormer bounds the earlier pids a child remembers, so that a process
// restarted for days keeps a bounded list.
const maxFormer = 32

// child is one supervised (or merely reaped) process. Its fields are
// guarded by Supervisor.mu; one goroutine at a time supervises it.
type child struct {
	spec      Spec
	w         *watcher // nil when no process runs
	pid       int
	startedAt time.Time
	status    string
	restarts  int
	failures  int         // consecutive automatic restarts, for the backoff
	recent    []time.Time // automatic restarts within Period
	exitCode  *int
	resources *ops.Resources
	lastErr   string
	former    []int              // the pids it had before, the latest maxFormer
	reply     chan restartResult // a manual restart waits here
	stopping  bool
	active    bool          // a goroutine supervises it
	done      chan struct{} // closed when that goroutine ends
	kick      chan struct{} // ends a backoff early
	notes     []note        // what to tell the run (Spec.Say) once mu is released
	// left is what the last process left running in its process group
	// when it exited, until a restart or a stop ends it (endLeftovers).
	left map[int]uint64
}

// NewSupervisor returns a running Supervisor.
func NewSupervisor(opt Options) *Supervisor {
	if opt.Backoff <= 0 {
		opt.Backoff = 500 * time.Millisecond
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 30 * time.Second
	}
	if opt.MaxRestarts <= 0 {
		opt.MaxRestarts = 5
	}
	if opt.Period <= 0 {
		opt.Period = time.Minute
	}
	if opt.StopGrace <= 0 {
		opt.StopGrace = 5 * time.Second
	}
	s := &Supervisor{opt: opt, log: zerolog.Nop(), groups: map[string]*group{}, running: map[int]*child{}, stopped: map[string]bool{}}
	if opt.Log != nil {
		s.log = *opt.Log
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

var errClosed = errors.New("the supervisor has stopped")

// statusUnsupervised is the status of a process that ran when its
// Supervisor was closed: whether it runs still, nothing watches.
const statusUnsupervised = "unsupervised"

// Start starts a process as spec says and returns it described.
func (s *Supervisor) Start(spec Spec) (ChildInfo, error) {
	if len(spec.Command) == 0 || spec.Command[0] == "" {
		return ChildInfo{}, errors.New("no command to start")
	}
	switch spec.Restart {
	case "":
		spec.Restart = RestartNever
	case RestartNever, RestartOnFailure, RestartAlways:
	default:
		return ChildInfo{}, fmt.Errorf("restart %q: want never, on-failure or always", spec.Restart)
	}
	if spec.Group == "" && spec.Restart != RestartNever {
		return ChildInfo{}, errors.New("only a process in a supervisor group can be restarted; name a supervisor")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ChildInfo{}, errClosed
	}
	c := &child{spec: spec, kick: make(chan struct{}, 1)}
	if err := s.spawnLocked(c); err != nil {
		return ChildInfo{}, err
	}
	if spec.Group != "" {
		g := s.groups[spec.Group]
		if g == nil {
			g = &group{}
			s.groups[spec.Group] = g
			delete(s.stopped, spec.Group)
		}
		g.children = append(g.forgetEndedLocked(), c)
	}
	s.superviseLocked(c)
	return c.info(), nil
}

// KeepEnded is how many ended processes a group keeps listed, the newest:
// a server whose callers start one-shot processes for months would
// otherwise list, keep in memory and restart on supervisor.restart every
// process it ever ran.
const KeepEnded = 100

// forgetEndedLocked returns the group's children without the oldest of
// its ended ones past KeepEnded. A child being restarted (its reply set)
// counts as live.
func (g *group) forgetEndedLocked() []*child {
	ended := 0
	for _, c := range g.children {
		if !c.active && c.reply == nil {
			ended++
		}
	}
	drop := ended - (KeepEnded - 1) // room for the one added, once it ends
	if drop <= 0 {
		return g.children
	}
	kept := g.children[:0]
	for _, c := range g.children {
		if drop > 0 && !c.active && c.reply == nil {
			drop--
			continue
		}
		kept = append(kept, c)
	}
	clear(g.children[len(kept):])
	return kept
}

// spawnLocked starts c's process and a watcher for it.
func (s *Supervisor) spawnLocked(c *child) error {
	if c.spec.Judge != nil {
		if err := c.spec.Judge(); err != nil {
			return err
		}
	}
	s.rememberSecretsLocked(c.spec.Secrets)
	pid, err := startProcess(c.spec)
	if err != nil {
		return err
	}
	w, err := newWatcher(pid)
	if err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil)
		return err
	}
	started := time.Now()
	if ct, err := createTime(context.Background(), pid); err == nil {
		started = msTime(ct) // the start time process.list reports
	}
	if c.pid != 0 {
		c.former = append(c.former, c.pid)
		if len(c.former) > maxFormer {
			c.former = slices.Delete(c.former, 0, len(c.former)-maxFormer)
		}
	}
	c.w, c.pid, c.startedAt, c.status, c.lastErr = w, pid, started, "running", ""
	s.running[pid] = c
	return nil
}

func (s *Supervisor) superviseLocked(c *child) {
	c.active = true
	c.done = make(chan struct{})
	s.wg.Add(1)
	go s.supervise(c, c.done)
}

// supervise waits for c's process to exit and restarts it while its policy
// and its intensity limit allow.
func (s *Supervisor) supervise(c *child, done chan struct{}) {
	defer s.wg.Done()
	defer close(done)
	for {
		ws, ru, ok := c.w.wait(s.ctx)
		s.mu.Lock()
		c.w.close()
		c.left = c.w.left
		c.w = nil
		if !ok { // closing: the process lives on unsupervised
			c.status, c.active = statusUnsupervised, false
			c.replyLocked(0, errClosed)
			s.mu.Unlock()
			return
		}
		delete(s.running, c.pid)
		c.exited(ws, ru, s.opt.MaxBackoff)
		for {
			delay, again := s.nextLocked(c)
			said := c.takeNotes()
			if !again {
				c.active = false
				c.replyLocked(0, fmt.Errorf("pid %d was not restarted: %s", c.pid, c.status))
				s.mu.Unlock()
				c.say(said)
				return
			}
			// What the ended process left must not run beside the
			// next one: a second copy of a worker, a port held.
			pid, left := c.pid, c.left
			c.left = nil
			s.mu.Unlock()
			c.say(said)
			endLeftovers(pid, left, s.opt.StopGrace, afterGrace)
			if !s.pause(c, delay) {
				// Closing: the restart it waited for will not come.
				s.mu.Lock()
				c.status, c.active = "stopped", false
				c.replyLocked(0, errClosed)
				s.mu.Unlock()
				return
			}
			s.mu.Lock()
			if c.stopping || s.closed {
				c.status, c.active = "stopped", false
				c.replyLocked(0, errors.New("stopped"))
				s.mu.Unlock()
				return
			}
			err := s.spawnLocked(c)
			if err == nil {
				if !c.replyLocked(c.pid, nil) {
					s.restartedLocked(c, pid)
				}
				said := c.takeNotes()
				s.mu.Unlock()
				c.say(said)
				break
			}
			c.status, c.lastErr = "failed", err.Error()
			s.log.Warn().Str("supervisor", c.spec.Group).Err(err).Msg("restart failed")
			c.noteLocked("warn", fmt.Sprintf("supervisor %s: restarting pid %d failed: %v", c.spec.Group, c.pid, err))
			if c.replyLocked(0, err) {
				c.active = false
				s.mu.Unlock()
				return
			}
		}
	}
}

// pause waits out a backoff; false when the supervisor is closing.
func (s *Supervisor) pause(c *child, d time.Duration) bool {
	if d <= 0 {
		return s.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.kick:
	case <-s.ctx.Done():
		return false
	}
	return true
}

// replyLocked answers a waiting manual restart; it reports whether one was
// waiting.
func (c *child) replyLocked(pid int, err error) bool {
	if c.reply == nil {
		return false
	}
	c.reply <- restartResult{pid, err}
	c.reply = nil
	return true
}

func (c *child) info() ChildInfo {
	name := c.spec.Command[0]
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	command := append([]string(nil), c.spec.Command...)
	if len(c.spec.Secrets) > 0 {
		r := redact.New(c.spec.Secrets...)
		for i, a := range command {
			command[i] = r.String(a)
		}
		name = r.String(name)
	}
	ci := ChildInfo{
		Group: c.spec.Group, PID: c.pid, Name: name, Command: command,
		Restart: c.spec.Restart, Status: c.status, Restarts: c.restarts, StartedAt: c.startedAt, Error: c.lastErr,
	}
	if c.exitCode != nil {
		last := *c.exitCode
		ci.LastExitCode = &last
		if c.w == nil {
			code := *c.exitCode
			ci.ExitCode = &code
		}
	}
	if c.resources != nil && c.w == nil {
		r := *c.resources
		ci.Resources = &r
	}
	return ci
}
