package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// conn is one pooled connection.
type conn struct {
	p       *Pool
	host    *inventory.Host
	client  *ssh.Client
	jump    *conn  // the jump host's connection, referenced while this one lives
	firstIP net.IP // the address of the first hop, for network policies

	slots   chan struct{} // sessions of steps
	control chan struct{} // one session kept for stopping commands
	freeMu  sync.Mutex
	freed   chan struct{} // closed when a session ends; see freedSignal

	dead     chan struct{}
	deadOnce sync.Once
	why      error // why the connection ended; set before dead is closed

	refs     int       // guarded by p.mu
	lastUsed time.Time // guarded by p.mu
	users    []string  // the hosts it served, in order; guarded by p.mu
}

// addUser records that a step on host took the connection; the caller
// holds p.mu. Several inventory hosts with one address, user and keys
// share a connection.
func (c *conn) addUser(host string) {
	if !slices.Contains(c.users, host) {
		c.users = append(c.users, host)
	}
}

// label names the connection in messages: its host and address, or, when
// several hosts shared it, its address and some of them, since the host
// that dialled it is no more concerned than the others.
func (c *conn) label() string {
	c.p.mu.Lock()
	users := slices.Clone(c.users)
	c.p.mu.Unlock()
	switch len(users) {
	case 0:
		return fmt.Sprintf("%s (%s)", c.host.Name, c.host.HostPort())
	case 1:
		return fmt.Sprintf("%s (%s)", users[0], c.host.HostPort())
	}
	more := ""
	if len(users) > 3 {
		users, more = users[:3], fmt.Sprintf(" and %d more", len(users)-3)
	}
	return fmt.Sprintf("%s (shared by %s%s)", c.host.HostPort(), strings.Join(users, ", "), more)
}

// closedError is the reason of a connection this process closed on
// purpose, rather than one that ended under it.
type closedError struct{ err error }

func (e *closedError) Error() string { return e.err.Error() }
func (e *closedError) Unwrap() error { return e.err }

func (c *conn) isDead() bool {
	select {
	case <-c.dead:
		return true
	default:
		return false
	}
}

// lost is the error of a step whose connection ended under it.
func (c *conn) lost() error {
	<-c.dead
	var closed *closedError
	if errors.As(c.why, &closed) {
		return fmt.Errorf("connection to %s closed: %w", c.label(), c.why)
	}
	return fmt.Errorf("connection to %s lost: %w", c.label(), c.why)
}

// close ends the connection for the reason given; the first reason wins.
func (c *conn) close(why error) {
	c.deadOnce.Do(func() {
		c.why = why
		close(c.dead)
		c.client.Close()
		c.p.mu.Lock()
		if e := c.p.conns[connKey(c.host)]; e != nil && e.c == c {
			delete(c.p.conns, connKey(c.host))
		}
		c.p.mu.Unlock()
		if c.jump != nil {
			c.p.release(c.jump)
		}
	})
}

// watch notices the connection ending from the other side.
func (c *conn) watch() {
	defer c.p.wg.Done()
	err := c.client.Wait()
	if err == nil {
		err = errors.New("the server closed the connection")
	}
	if jerr := c.jumpLost(); jerr != nil {
		err = jerr
	}
	c.close(err)
}

// jumpLost returns, for a connection that ended, why when it was its jump
// host's connection that ended under it (or stopped answering): the hop
// that failed, rather than the target taken for it, which saw no more than
// its channel closing. nil when the jump host still answers, when there
// is none, or when c was closed on purpose.
func (c *conn) jumpLost() error {
	j := c.jump
	if j == nil || c.isDead() || j.answers(c.p.s.KeepAlive) {
		return nil
	}
	// A jump host connection that ended closes its channels before it
	// notices it has ended: wait for that, briefly.
	t := time.NewTimer(c.p.s.KeepAlive)
	defer t.Stop()
	select {
	case <-j.dead:
		return fmt.Errorf("jump host %s: %w", j.host.Name, j.lost())
	case <-t.C:
		return fmt.Errorf("jump host %s: %s gives no answer", j.host.Name, j.label())
	}
}

// keepalive sends keepalive requests and closes the connection when
// KeepAliveMax of them in a row get no answer, or when it has been idle
// for IdleTimeout.
func (c *conn) keepalive() {
	defer c.p.wg.Done()
	s := c.p.s
	t := time.NewTicker(s.KeepAlive)
	defer t.Stop()
	answers := make(chan error, s.KeepAliveMax+1)
	pending := 0
	for {
		select {
		case <-c.dead:
			return
		case err := <-answers:
			pending--
			if err != nil {
				c.close(fmt.Errorf("keepalive: %w", err))
				return
			}
			continue
		case <-t.C:
		}
		if c.idle() {
			c.close(fmt.Errorf("idle for %s", short.Duration(s.IdleTimeout)))
			return
		}
		// Each request still unanswered at a tick is a missed answer.
		if pending >= s.KeepAliveMax {
			c.close(fmt.Errorf("no answer to %d keepalive requests sent %s apart", pending, short.Duration(s.KeepAlive)))
			return
		}
		pending++
		c.p.wg.Add(1)
		go func() {
			defer c.p.wg.Done()
			// The reply of OpenSSH is a failure; any reply is an answer.
			_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
			answers <- err
		}()
	}
}

// answers tells whether the server answers a keepalive request within d:
// a connection whose sessions are slow may still be alive.
func (c *conn) answers(d time.Duration) bool {
	answer := make(chan error, 1)
	if !c.p.spawn(func() {
		// The reply of OpenSSH is a failure; any reply is an answer.
		_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
		answer <- err
	}) {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-answer:
		return err == nil
	case <-c.dead:
		return false
	case <-t.C:
		return false
	}
}

func (c *conn) idle() bool {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return c.refs == 0 && time.Since(c.lastUsed) >= c.p.s.IdleTimeout
}

// openSession opens a session on the connection, or gives up when ctx
// ends. x/crypto/ssh's NewSession takes no context: on a server that
// still answers keepalives but no longer opens sessions (an sshd that
// cannot fork under memory pressure), a step would wait past its own
// timeout, and a stop for as long as the connection lives. A session that
// opens after its caller gave up is closed at once.
func (c *conn) openSession(ctx context.Context) (*ssh.Session, error) {
	type opened struct {
		s   *ssh.Session
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		s, err := c.client.NewSession()
		ch <- opened{s, err}
	}()
	abandon := func() {
		go func() {
			if o := <-ch; o.s != nil {
				o.s.Close()
			}
		}()
	}
	select {
	case o := <-ch:
		return o.s, o.err
	case <-ctx.Done():
		abandon()
		return nil, context.Cause(ctx)
	case <-c.dead:
		// A channel asked for just as the connection's reader ends is
		// never answered nor closed by x/crypto/ssh: the step learns that
		// its connection was lost rather than waiting for its timeout.
		abandon()
		return nil, c.lost()
	}
}

// sessionUse is what a session is for, which decides how long opening
// it may wait.
type sessionUse int

const (
	// forStep waits for a free slot, and for the server to allow another
	// session when it refuses one.
	forStep sessionUse = iota
	// forStop takes the slot kept for stopping commands. It does not wait
	// for the server: the sessions open may be those of the very command
	// it would stop.
	forStop
	// forProbe takes a slot only when one is free, and does not wait for
	// the server: whether a host answers is not to be learnt by waiting
	// for the steps that keep its connection busy. It fails with errBusy.
	forProbe
)

// sessionRetryMax is the longest a step waits before asking again for a
// session the server refused while others of its connection were open.
const sessionRetryMax = 5 * time.Second

// errBusy is a session a probe does not wait for: every session the
// connection may carry, or the server allows, is in use.
var errBusy = errors.New("every session of the connection is in use")

// newSession waits for a free slot (the control slot for forStop) and
// opens a session. A server that refuses the session while others of this
// connection are open allows fewer at once than MaxSessions (its own
// MaxSessions is lower), or still counts one just ended: a step tries
// again when one of them ends, or after a backoff that grows to
// sessionRetryMax, until its context ends; a stop gets the refusal, an
// *ssh.OpenChannelError, at once, and a probe errBusy. release closes the
// session and frees the slot.
func (c *conn) newSession(ctx context.Context, use sessionUse) (*ssh.Session, func(), error) {
	slots := c.slots
	if use == forStop {
		slots = c.control
	}
	var settle time.Time // until when a refusal with none of ours open is tried again
	for try := 0; ; try++ {
		if err := c.takeSlot(ctx, slots, use == forProbe); err != nil {
			return nil, nil, err
		}
		freed, retry := c.freedSignal(), (<-chan time.Time)(nil)
		s, err := c.openSession(ctx)
		if err == nil {
			return s, func() { s.Close(); <-slots; c.signalFreed() }, nil
		}
		<-slots
		if c.isDead() {
			return nil, nil, c.lost()
		}
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("%w while opening a session on %s, which does not answer", err, c.label())
		}
		var refused *ssh.OpenChannelError
		switch {
		case !errors.As(err, &refused):
			return nil, nil, fmt.Errorf("opening a session on %s: %w", c.label(), err)
		case use == forProbe && len(c.slots)+len(c.control) > 0:
			return nil, nil, fmt.Errorf("%w (%s refused another: %v)", errBusy, c.label(), err)
		case use != forStep:
			return nil, nil, fmt.Errorf("opening a session on %s: %w", c.label(), err)
		case len(c.slots)+len(c.control) == 0:
			// None of ours is open, but the server counts a session
			// until it has read its close, which a busy server reads
			// late: one just ended may still hold its place. Tried
			// again for as long as a login may take.
			if settle.IsZero() {
				settle = time.Now().Add(c.p.s.DialTimeout)
			}
			if time.Now().After(settle) {
				return nil, nil, fmt.Errorf("opening a session on %s: %w; it refused every session for %s while this connection had none open: check the server's MaxSessions and its log",
					c.label(), err, short.Duration(c.p.s.DialTimeout))
			}
			retry = time.After(min(10*time.Millisecond<<min(try, 6), time.Second))
		default:
			// Some of ours are open, and their end is waited for; but the
			// refusal may count a session the server has not yet seen
			// closed, and ours may be waiting for this step (a command
			// gated on another), so that none would ever end.
			retry = time.After(min(10*time.Millisecond<<min(try, 9), sessionRetryMax))
		}
		select {
		case <-retry:
		case <-freed:
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("%w (waiting for the server to allow another session: %v)", context.Cause(ctx), err)
		case <-c.dead:
			return nil, nil, c.lost()
		}
	}
}

// takeSlot takes a place in slots, waiting for one unless now is set
// (then errBusy when there is none).
func (c *conn) takeSlot(ctx context.Context, slots chan struct{}, now bool) error {
	if now {
		select {
		case slots <- struct{}{}:
			return nil
		case <-c.dead:
			return c.lost()
		default:
			return fmt.Errorf("%w (%d sessions on %s)", errBusy, cap(c.slots), c.label())
		}
	}
	select {
	case slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-c.dead:
		return c.lost()
	}
}

// freedSignal returns a channel closed when a session of c next ends.
func (c *conn) freedSignal() <-chan struct{} {
	c.freeMu.Lock()
	defer c.freeMu.Unlock()
	if c.freed == nil {
		c.freed = make(chan struct{})
	}
	return c.freed
}

func (c *conn) signalFreed() {
	c.freeMu.Lock()
	defer c.freeMu.Unlock()
	if c.freed != nil {
		close(c.freed)
		c.freed = nil
	}
}

// checkPolicy asks the caller's network policy about every hop of a
// connection made, perhaps, for another caller.
func (c *conn) checkPolicy(ctx context.Context) error {
	if !policy.HasDialPolicy(ctx) {
		return nil
	}
	for i, h := range c.host.Chain() {
		ip := net.ParseIP(h.Address)
		if i == 0 && c.firstIP != nil {
			ip = c.firstIP
		}
		if err := allowHop(ctx, h.Address, ip); err != nil {
			return policyClass(err)
		}
	}
	return nil
}

// allowHop asks the caller's DialPolicy about a hop; ip is nil for a name
// that only the jump host resolves, which a policy with network rules
// refuses.
func allowHop(ctx context.Context, host string, ip net.IP) error {
	dp, ok := ops.CallFrom(ctx).Scope.(policy.DialPolicy)
	if !ok {
		return nil
	}
	if err := dp.AllowDial(host, ip); err != nil {
		if errors.Is(err, ops.ErrDenied) {
			return err
		}
		return fmt.Errorf("%w: connecting to %s: %v", ops.ErrDenied, host, err)
	}
	return nil
}

func policyClass(err error) error {
	return ops.WithClass(policy.Class(err, ops.ClassExecution), err)
}

// causeOf returns the context's cause when ctx ended, else err.
func causeOf(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}
