package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/capture"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/outhold"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/redact"
)

// result is what a remote command left.
type result struct {
	code           int
	signal         string // the signal that ended the wrapper, e.g. "TERM"
	stdout, stderr string
	truncated      bool
}

// run starts cmd on h and waits for it. When ctx ends (a timeout, a
// cancelled run) or sudo refuses the password, the remote process group is
// sent SIGTERM, then SIGKILL after KillGrace, from a second session (see
// signal). The result comes back with an error too when the command ran,
// so a failed step still shows what it printed.
func (p *Pool) run(ctx context.Context, h *inventory.Host, a authOpts, cmd *command) (*result, error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	// The memory first: a step waiting for it holds no session, which
	// steps that have theirs could use.
	limit := p.s.OutputLimit
	if limit <= 0 {
		limit = capture.DefaultLimit
	}
	held, err := outhold.Hold(ctx, cmd.mem, limit, func() string { return cmd.what(h.Name) })
	if err != nil {
		return nil, err
	}
	defer held.Release()
	sess, c, release, err := p.session(ctx, h, a)
	if err != nil {
		return nil, err
	}
	defer release()

	call := ops.CallFrom(ctx)
	secrets := append([]string{a.passphrase}, call.Secrets...)
	if cmd.sudo != nil {
		secrets = append(secrets, cmd.sudo.password)
	}
	mask := redact.Masker(secrets)
	stdout, stderr := held.Buffer(limit), held.Buffer(limit)
	stdout.Guard(secrets)
	stderr.Guard(secrets)
	var outSink, errSink io.Writer = stdout, stderr
	var lines []*capture.LineWriter
	if call.Output != nil {
		mu := &sync.Mutex{}
		errOut := call.Output
		if call.ErrOutput != nil {
			errOut = call.ErrOutput
		}
		lo, le := capture.NewLineWriter(call.Output, mu, mask), capture.NewLineWriter(errOut, mu, mask)
		outSink, errSink = io.MultiWriter(stdout, lo), io.MultiWriter(stderr, le)
		lines = append(lines, lo, le)
	}
	m := newMarkers(cmd, outSink, errSink)
	sess.Stdout, sess.Stderr = m.stdout(), m.stderr()
	stdin, err := sess.StdinPipe()
	if err != nil {
		return nil, ops.Errorf(ops.ClassExecution, "opening stdin on %s: %w", h.Name, err)
	}
	if err := sess.Start(cmd.line); err != nil {
		if c.isDead() {
			return nil, ops.WithClass(ops.ClassExecution, c.lost())
		}
		return nil, ops.Errorf(ops.ClassExecution, "starting %s on %s: %w", cmd.name, h.Name, err)
	}

	runCtx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	finished := make(chan struct{})
	var feeding sync.WaitGroup
	feeding.Add(1)
	go func() {
		defer feeding.Done()
		defer stdin.Close()
		if err := feed(stdin, m, cmd, finished); err != nil {
			stopRun(err)
		}
	}()
	waited := make(chan error, 1)
	go func() { waited <- sess.Wait() }()

	var werr error
	var stopped *stopAccount
	select {
	case werr = <-waited:
	case <-runCtx.Done():
		stopped = &stopAccount{grace: p.s.KillGrace}
		werr = p.stop(c, a, sess, m, waited, fmt.Sprintf("ssh.exec of %s on %s", cmd.name, h.Name), stopped)
	}
	close(finished)
	feeding.Wait()
	m.flush()
	for _, l := range lines {
		l.Flush()
	}
	res := &result{truncated: stdout.Truncated() || stderr.Truncated()}
	res.stdout, res.stderr = held.Text(stdout), held.Text(stderr)
	if mask != nil {
		res.stdout, res.stderr = mask(res.stdout), mask(res.stderr)
	}

	var exit *ssh.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &exit):
		res.code, res.signal = exit.ExitStatus(), exit.Signal()
	default:
		// No exit status: the connection went away under the command,
		// or the session was closed to stop it. Its exit code is not
		// known, and is not 0.
		res.code = -1
		select {
		case <-c.dead:
		case <-time.After(time.Second):
		}
		if c.isDead() && (stopped == nil || !stopped.unstarted && !stopped.alone) {
			return res, ops.WithClass(ops.ClassExecution, fmt.Errorf("%w; whether %s finished on %s is unknown", c.lost(), cmd.name, h.Name))
		}
		if stopped == nil {
			return res, ops.Errorf(ops.ClassExecution, "%s on %s ended without an exit status: %w", cmd.name, h.Name, werr)
		}
	}
	if stopped != nil {
		select {
		case <-m.started:
			stopped.started = true
		default:
		}
		return res, stopped.explain(context.Cause(runCtx), cmd, h.Name)
	}
	return res, nil
}

// stopAccount is what stop did to a command's remote process group, for
// the step's error: which signals went, and how the command took them,
// as the local shell op's timeout error says.
type stopAccount struct {
	grace     time.Duration
	sent      []string      // the signals sent, in order: "TERM", "KILL"
	ended     bool          // the command's end was seen after the last of them
	unstarted bool          // stopped before the group's id came: the program never starts
	waited    time.Duration // how long an unstarted command was waited for
	closed    bool          // the command's connection was closed, its session giving no answer
	alone     bool          // its connection gave no session: the signals went over one of their own
	failure   error         // a signal that could not be sent
	started   bool          // the program started: sudo let it, or no sudo
}

// String is the account in the words of the local shell op:
// "sent TERM, still running after 2s, sent KILL".
func (s *stopAccount) String() string {
	var b strings.Builder
	for i, sig := range s.sent {
		if i > 0 {
			fmt.Fprintf(&b, ", still running after %s, ", s.grace)
		}
		b.WriteString("sent " + sig)
	}
	switch {
	case len(s.sent) == 0 && s.failure == nil:
		b.WriteString("it ended before a signal was sent")
	case s.failure != nil:
		if b.Len() > 0 {
			b.WriteString(", then ")
		}
		fmt.Fprintf(&b, "could not send a signal: %v", s.failure)
	case s.ended && len(s.sent) == 1:
		fmt.Fprintf(&b, ", and it ended within %s", s.grace)
	case !s.ended && len(s.sent) > 0:
		fmt.Fprintf(&b, ", still running after %s; its session was closed", s.grace)
	}
	return b.String()
}

// explain is the error of a command that stop ended for why.
func (s *stopAccount) explain(why error, cmd *command, host string) error {
	switch {
	case s.unstarted && s.ended:
		return fmt.Errorf("%w; stopped before %s started on %s: it did not run", why, cmd.name, host)
	case s.unstarted:
		// The wrapper's input has ended: it exits at its gate whenever
		// the login shell gets there.
		what := "its session was closed"
		if s.closed {
			what = "its connection was closed, failing the steps that shared it"
		}
		return fmt.Errorf("%w; stopped before %s started on %s: it will not run, "+
			"but the login shell there was still starting after %s (slow startup files?), so %s", why, cmd.name, host, short.Duration(s.waited), what)
	case s.alone && !s.ended && len(s.sent) > 0:
		// The signals reached the host; what they did could not be
		// seen, the command's own session giving no answer.
		return fmt.Errorf("%w; the connection of %s on %s gave no answer, so its remote process group was sent %s over a connection of its own, "+
			"but its end could not be seen: check with `ps -ef` on %s", why, cmd.name, host, strings.Join(s.sent, ", then "), host)
	case !s.ended && len(s.sent) == 0:
		// Without a signal, closing the session ends only what reads
		// or writes the session's pipes.
		return fmt.Errorf("%w; no signal reached %s on %s (%s) and its session was closed, "+
			"so it may still run: check with `ps -ef` on %s", why, cmd.name, host, s, host)
	}
	if cmd.sudo != nil && !s.started && (s.ended || len(s.sent) > 0) {
		// sudo still asked for the password: nothing ran as another
		// user, and the signals reached all there was.
		what := "stopped"
		if !s.ended {
			what = "signalled"
		}
		return fmt.Errorf("%w; sudo was %s on %s before it started %s (%s)", why, what, host, cmd.name, s)
	}
	if cmd.sudo != nil && len(s.sent) > 0 {
		// The signals are sent as the login user: they reach sudo,
		// which passes SIGTERM on to its child, but not what runs as
		// another user below it, and SIGKILL ends sudo alone.
		return fmt.Errorf("%w; the remote process group of %s on %s was signalled as the login user (%s), "+
			"so processes running as %s under sudo may still run: check with `ps -ef` on %s", why, cmd.name, host, s, cmd.sudo.user, host)
	}
	if !s.ended || s.failure != nil {
		return fmt.Errorf("%w; the remote process group of %s on %s was signalled (%s), "+
			"so it may still run: check with `ps -ef` on %s", why, cmd.name, host, s, host)
	}
	return fmt.Errorf("%w; the remote process group of %s on %s was stopped (%s)", why, cmd.name, host, s)
}

// feed writes the command's input: the sudo password when sudo prompts
// (never otherwise, so that a password is not handed to the program), then
// the exports and the script or stdin.
func feed(w io.Writer, m *markers, cmd *command, finished <-chan struct{}) error {
	// The wrapper's gate: ending the input instead, when the step is
	// stopped first, ends the wrapper before its program.
	select {
	case <-m.pidSeen:
	case <-m.halted:
		return nil
	case <-finished:
		return nil
	}
	if !m.open() {
		return nil
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return nil
	}
	prompted := false
	for waiting := true; waiting; {
		select {
		case <-m.started:
			waiting = false
		case <-m.prompts:
			// Class validation, which retry never retries: trying the
			// same password again cannot make it right, and would only
			// count failures towards locking the account (pam_faillock).
			switch {
			case prompted:
				return ops.WithClass(ops.ClassValidation, errors.New("sudo refused the password in sudo_password"))
			case cmd.sudo.password == "":
				return ops.Errorf(ops.ClassValidation, "sudo asks for a password to run as %s; give it in sudo_password, from a secret input", cmd.sudo.user)
			}
			prompted = true
			if _, err := io.WriteString(w, cmd.sudo.password+"\n"); err != nil {
				return nil
			}
		case <-finished:
			return nil
		}
	}
	// A program that does not read its input makes this write fail once
	// the session ends; that is no error of the step.
	_, _ = w.Write(cmd.input)
	return nil
}

// stop ends the remote process group of what (the command and its host,
// for messages) with SIGTERM, then SIGKILL, and returns the session's end.
// Before the group's id has come, it keeps the program from starting
// instead (see markers.halt), and waits for the wrapper to end.
// A connection that does not answer while the command is being stopped is
// closed, so that nothing waits on it for long, even when other steps use
// it: sshd lets go of a session whose close it does not answer only when
// its connection ends, and keeping the connection for the others would
// leave that command running unseen for as long as they last. Their errors
// name what was not stopped. a logs in a connection of its own when the
// signals need one (see signal). The whole stop takes at most stopTime:
// the engine waits that long for it (see Exec.StopTime), so that a host
// that hangs is reported as such, not as an operation abandoned.
func (p *Pool) stop(c *conn, a authOpts, sess *ssh.Session, m *markers, waited <-chan error, what string, acct *stopAccount) error {
	// The signals and their graces end within this; the session's close
	// has its own grace after it.
	ctx, cancel := context.WithTimeout(context.Background(), p.s.stopTime()-p.s.KillGrace)
	defer cancel()
	gaveNoAnswer := fmt.Errorf("%s gave no answer while being stopped", what)
	if !m.halt() {
		// The wrapper's input ends: it exits at its gate, now or once
		// the login shell has read its startup files.
		acct.unstarted = true
		select {
		case err := <-waited:
			acct.ended = true
			return err
		case <-ctx.Done():
		}
		acct.waited = p.s.stopTime() - p.s.KillGrace
		gaveNoAnswer = fmt.Errorf("the login shell for %s was still starting after %s", what, short.Duration(acct.waited))
	} else if pid := m.pidOf(); pid > 1 {
		g := &signaller{p: p, c: c, a: a, pgid: pid, what: what}
		defer g.close()
	signals:
		for _, sig := range []string{"TERM", "KILL"} {
			err := g.send(ctx, sig)
			acct.alone = acct.alone || g.silent
			if err != nil {
				acct.failure = err
				break
			}
			acct.sent = append(acct.sent, sig)
			select {
			case err := <-waited:
				acct.ended = true
				return err
			case <-time.After(p.s.KillGrace):
			case <-ctx.Done():
				break signals
			}
		}
	}
	sess.Close()
	select {
	case err := <-waited:
		return err
	case <-time.After(p.s.KillGrace):
	}
	acct.closed = true
	c.close(&closedError{gaveNoAnswer})
	return <-waited
}

// stopTime bounds stop: the wait for the process group's id, a signal
// that may need a connection of its own, SIGTERM's grace, SIGKILL's, and
// the wait for the session's close.
func (s Settings) stopTime() time.Duration { return 5*s.KillGrace + s.DialTimeout }

// StopTime is how long an ssh.exec or ssh.facts step may take to return
// once its context is done (ops.Stopper): the remote command's stop, and
// the wait for its connection's end when the command's end was not seen.
// The engine does not abandon the step before that, so that a host that
// hangs while its command is being stopped is reported as such. It is
// reckoned with the registry pool's settings: a program embedding
// arsenal-run that gives its runs' pools a longer KillGrace or
// DialTimeout gives the registry the same.
func (e *Exec) StopTime(ops.Params) time.Duration { return e.pool.s.stopTime() + time.Second }

// StopTime is Exec's: ssh.facts runs a command too.
func (f *Facts) StopTime(ops.Params) time.Duration { return f.pool.s.stopTime() + time.Second }
