package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// Pool keeps one SSH connection per host (per user, address, port, keys and
// jump path) and lets at most Settings.MaxSessions sessions run on each at
// once, so that a hundred steps on one host open one TCP connection.
// Connections are dialled on first use, kept alive with keepalive requests,
// closed after Settings.IdleTimeout without use, and dialled again once when
// a step finds its connection dead. A connection to a host behind a jump
// host is a channel of the jump host's connection, itself pooled.
//
// A Pool is safe for concurrent use. Whoever creates it closes it; Close
// ends every connection and waits for the pool's goroutines.
type Pool struct {
	s Settings

	mu     sync.Mutex
	ctx    context.Context // cancelled by Close, to stop dials in progress; made with conns
	cancel context.CancelFunc
	conns  map[string]*entry // nil until the first dial: most runs make none
	closed bool
	wg     sync.WaitGroup // dials and the goroutines of every connection

	dials atomic.Int64

	warned map[string]bool // warnings given once (warnOnce); guarded by mu
}

// entry is a pooled connection, or the dial that will give it.
type entry struct {
	ready chan struct{} // closed when the dial is over
	c     *conn
	err   error
	stage atomic.Int32 // what the dial is doing, a dialStage
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// NewPool returns an empty pool; connections are made on first use. Every
// run has one, so it costs nothing until then.
func NewPool(s Settings) *Pool {
	return &Pool{s: s.withDefaults()}
}

// Stats describe a pool's use.
type Stats struct {
	// Dials counts the connections made (jump hosts included) since the
	// pool was created.
	Dials int64
	// Open counts the connections open now.
	Open int
}

// Stats returns the pool's counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	open := 0
	for _, e := range p.conns {
		select {
		case <-e.ready:
			if e.c != nil && !e.c.isDead() {
				open++
			}
		default:
		}
	}
	return Stats{Dials: p.dials.Load(), Open: open}
}

// Close closes every connection, stops dials in progress and waits for the
// pool's goroutines. Steps still running fail with a closed connection.
// Closing twice is harmless.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	var conns []*conn
	for _, e := range p.conns {
		select {
		case <-e.ready:
			if e.c != nil {
				conns = append(conns, e.c)
			}
		default:
		}
	}
	cancel := p.cancel
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	for _, c := range conns {
		c.close(errPoolClosed)
	}
	p.wg.Wait()
	return nil
}

var errPoolClosed = errors.New("the connection pool was closed")

// spawn runs f in a goroutine that Close waits for, and tells whether it
// did: not once the pool is closed, when Close may be waiting already.
func (p *Pool) spawn(f func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
	return true
}

// authOpts are what a step adds to a host's settings for logging in.
type authOpts struct {
	passphrase string
}

// connKey identifies a connection: the same login on the same path.
func connKey(h *inventory.Host) string {
	var b strings.Builder
	for i, x := range h.Chain() {
		if i > 0 {
			b.WriteString(" -> ")
		}
		fmt.Fprintf(&b, "%s@%s|%s|%s", x.User, x.HostPort(), x.IdentityFile, x.CertificateFile)
	}
	return b.String()
}

// get returns a live connection to h, holding a reference to it that the
// caller gives back with release.
func (p *Pool) get(ctx context.Context, h *inventory.Host, a authOpts) (*conn, error) {
	key := connKey(h)
	for retried := false; ; {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, errPoolClosed
		}
		e := p.conns[key]
		if e != nil && e.c != nil && e.c.isDead() {
			delete(p.conns, key)
			e = nil
		}
		if e == nil {
			if p.conns == nil {
				p.ctx, p.cancel = context.WithCancel(context.Background())
				p.conns = map[string]*entry{}
			}
			e = &entry{ready: make(chan struct{})}
			p.conns[key] = e
			p.wg.Add(1)
			go p.dial(ctx, key, e, h, a)
		}
		p.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			// The dial goes on for other steps; this one says where it
			// was when its time ran out (the cause keeps its class).
			return nil, fmt.Errorf("%w while %s", context.Cause(ctx), p.where(e, h))
		}
		if e.err != nil {
			// A dial refused by another caller's scope says nothing about
			// this caller's: try once with its own.
			if errors.Is(e.err, ops.ErrDenied) && !retried {
				retried = true
				continue
			}
			return nil, e.err
		}
		p.mu.Lock()
		if e.c.isDead() {
			p.mu.Unlock()
			continue
		}
		e.c.refs++
		e.c.addUser(h.Name)
		p.mu.Unlock()
		if err := e.c.checkPolicy(ctx); err != nil {
			p.release(e.c)
			return nil, err
		}
		return e.c, nil
	}
}

// release gives back a reference taken by get.
func (p *Pool) release(c *conn) {
	p.mu.Lock()
	c.refs--
	c.lastUsed = time.Now()
	p.mu.Unlock()
}

// dial makes the connection of entry e. It runs on its own, bounded by
// DialTimeout and by Close, so that a step giving up does not cut a dial
// that other steps wait for.
func (p *Pool) dial(ctx context.Context, key string, e *entry, h *inventory.Host, a authOpts) {
	defer p.wg.Done()
	dctx, cancel := context.WithTimeoutCause(context.WithoutCancel(ctx), p.s.DialTimeout,
		fmt.Errorf("connecting to %s took longer than %s: %w", h.Name, short.Duration(p.s.DialTimeout), context.DeadlineExceeded))
	defer cancel()
	stop := context.AfterFunc(p.ctx, cancel)
	defer stop()
	c, err := p.connect(dctx, e, h, a)
	p.mu.Lock()
	if err != nil && p.closed {
		// Cut short by Close: say so, not "context canceled" at
		// whatever stage the dial was in.
		err = fmt.Errorf("%w (while %s)", errPoolClosed, dialStage(e.stage.Load()).describe(h))
	}
	if err == nil && p.closed {
		err = errPoolClosed
		p.mu.Unlock()
		c.close(err)
		p.mu.Lock()
	}
	e.c, e.err = c, err
	if err != nil {
		e.c = nil
		if p.conns[key] == e {
			delete(p.conns, key)
		}
	} else {
		c.lastUsed = time.Now()
	}
	close(e.ready)
	p.mu.Unlock()
}

// connect dials h, through its jump host if it has one, and logs in,
// keeping e's stage up to date.
func (p *Pool) connect(ctx context.Context, e *entry, h *inventory.Host, a authOpts) (*conn, error) {
	// Keys and known_hosts first: a missing key fails before any
	// connection is made.
	cfg, lg, done, err := p.clientConfig(ctx, h, a)
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, err)
	}
	defer done()
	var jump *conn
	var nc net.Conn
	if h.Jump != nil {
		e.stage.Store(int32(stageJump))
		// The jump host's own dial is bounded by its DialTimeout and by
		// Close. Waiting for its end, rather than for this dial's deadline
		// (which runs out a moment earlier), gives its own error: a hung
		// jump host is named with its address and stage, not taken for
		// this host timing out.
		if jump, err = p.get(context.WithoutCancel(ctx), h.Jump, a); err != nil {
			return nil, fmt.Errorf("jump host %s: %w", h.Jump.Name, err)
		}
		if err = allowHop(ctx, h.Address, net.ParseIP(h.Address)); err == nil {
			nc, err = jump.client.DialContext(ctx, "tcp", h.HostPort())
		}
		if err != nil {
			p.release(jump)
			err = causeOf(ctx, err)
			return nil, policyClass(fmt.Errorf("connecting to %s (%s) through jump host %s: %w%s", h.Name, h.HostPort(), h.Jump.Name, err, p.refusedHint(h, err)))
		}
	} else {
		if nc, err = policy.DialContext(ctx, net.Dialer{KeepAlive: 30 * time.Second}, "tcp", h.HostPort()); err != nil {
			err = causeOf(ctx, err)
			return nil, policyClass(fmt.Errorf("connecting to %s (%s): %w%s", h.Name, h.HostPort(), err, p.refusedHint(h, err)))
		}
	}
	fail := func(err error) (*conn, error) {
		nc.Close()
		if jump != nil {
			p.release(jump)
		}
		return nil, err
	}
	e.stage.Store(int32(stageGreeting))
	// The handshake has no context of its own: closing the connection is
	// what stops it.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	cc, chans, reqs, err := ssh.NewClientConn(greetConn{nc, e}, h.HostPort(), cfg)
	if !stop() {
		if err == nil {
			cc.Close()
		}
		return fail(fmt.Errorf("%s: %w", dialStage(e.stage.Load()).describe(h), context.Cause(ctx)))
	}
	if err != nil {
		return fail(handshakeError(h, p.s.Inventory, cfg.User, lg, err))
	}
	p.dials.Add(1)
	c := &conn{
		p: p, host: h, client: ssh.NewClient(cc, chans, reqs), jump: jump,
		slots:   make(chan struct{}, p.s.MaxSessions-1),
		control: make(chan struct{}, 1),
		dead:    make(chan struct{}),
	}
	if jump != nil {
		c.firstIP = jump.firstIP
	} else if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		c.firstIP = ta.IP
	}
	p.wg.Add(2)
	go c.watch()
	go c.keepalive()
	return c, nil
}

// dialAlone makes a connection to h that the pool does not share, for a
// request that cannot wait for a session of the pooled one. It is bounded
// by ctx and ended by Close like the pool's own; done closes it.
func (p *Pool) dialAlone(ctx context.Context, h *inventory.Host, a authOpts) (c *conn, done func(), err error) {
	p.mu.Lock()
	if p.closed || p.ctx == nil {
		p.mu.Unlock()
		return nil, nil, errPoolClosed
	}
	pctx := p.ctx
	// Held while connecting, so that Close, waiting for the pool's
	// goroutines, never sees the count at zero while connect adds to it.
	p.wg.Add(1)
	p.mu.Unlock()
	defer p.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopDial := context.AfterFunc(pctx, cancel)
	c, err = p.connect(ctx, &entry{}, h, a)
	stopDial()
	if err != nil {
		if pctx.Err() != nil {
			return nil, nil, errPoolClosed
		}
		return nil, nil, err
	}
	// In use until done, so that the idle check leaves it alone.
	p.mu.Lock()
	c.refs++
	p.mu.Unlock()
	stopClose := context.AfterFunc(pctx, func() { c.close(errPoolClosed) })
	return c, func() {
		stopClose()
		c.close(&closedError{errors.New("its request was done")})
		p.release(c)
	}, nil
}

// session opens a session for a step on a connection to h, holding one of
// its session slots. A connection found dead is dropped and dialled again,
// once. The returned release closes the session and gives the slot and
// connection back.
func (p *Pool) session(ctx context.Context, h *inventory.Host, a authOpts) (*ssh.Session, *conn, func(), error) {
	return p.sessionFor(ctx, h, a, forStep)
}

// sessionFor is session for the use given (see sessionUse).
func (p *Pool) sessionFor(ctx context.Context, h *inventory.Host, a authOpts, use sessionUse) (*ssh.Session, *conn, func(), error) {
	for attempt := 0; ; attempt++ {
		c, err := p.get(ctx, h, a)
		if err != nil {
			return nil, nil, nil, err
		}
		s, rel, err := c.newSession(ctx, use)
		if err == nil {
			return s, c, func() { rel(); p.release(c) }, nil
		}
		p.release(c)
		var refused *ssh.OpenChannelError
		if ctx.Err() != nil || errors.As(err, &refused) || errors.Is(err, errBusy) || attempt > 0 {
			return nil, nil, nil, err
		}
		c.close(fmt.Errorf("opening a session failed: %w", err))
	}
}

// closeHost closes the pooled connection to h, if there is one.
func (p *Pool) closeHost(h *inventory.Host, why error) {
	if c := p.pooled(h); c != nil {
		c.close(why)
	}
}

// closeSilent closes the pooled connection to h, if there is one and it
// does not answer a keepalive within KeepAlive.
func (p *Pool) closeSilent(h *inventory.Host, why error) {
	p.closeSilentWithin(h, p.s.KeepAlive, why)
}

// closeSilentWithin is closeSilent with an answer awaited for d.
func (p *Pool) closeSilentWithin(h *inventory.Host, d time.Duration, why error) {
	if c := p.pooled(h); c != nil && !c.answers(d) {
		c.close(why)
	}
}

// pooled returns the pooled connection to h, or nil when there is none
// (or it is still being made).
func (p *Pool) pooled(h *inventory.Host) *conn {
	p.mu.Lock()
	e := p.conns[connKey(h)]
	p.mu.Unlock()
	if e == nil {
		return nil
	}
	select {
	case <-e.ready:
		return e.c
	default:
		return nil
	}
}

// portOf returns the port of a host:port string, for messages.
func portOf(hostport string) int {
	_, p, _ := net.SplitHostPort(hostport)
	n, _ := strconv.Atoi(p)
	return n
}
