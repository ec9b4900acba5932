package remote

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/ssh"
)

// signaller sends the signals of one stop to the process group pgid of
// what (the command and its host, for messages) on c's host, through the
// session c keeps for that purpose, or over a connection of its own:
//
//   - A server that refuses that session allows fewer sessions a
//     connection than the pool does (its MaxSessions is lower), and the
//     ones it allows are held by the command and the steps beside it,
//     which may run for hours. Stopping a command must neither wait for
//     its siblings nor end them.
//   - A connection that gives no session within KillGrace, and does not
//     answer a keepalive either, may be all that hangs: a NAT or firewall
//     that dropped its state, the one sshd process that serves it stuck.
//     Waiting on it for the signal's whole bound, then closing it, left
//     the command running unsignalled when a new connection would have
//     reached it.
//
// The connection of its own, once made, carries the next signal too, and
// is closed by close. A refusal is an answer: c is closed only when a
// request sent on it gets none.
type signaller struct {
	p    *Pool
	c    *conn
	a    authOpts
	pgid int
	what string

	alone  *conn  // the connection of its own, once made
	done   func() // closes alone
	silent bool   // c gave no session and no answer
}

// send sends sig, within KillGrace and DialTimeout (twice KillGrace when
// c must be given up on first).
func (g *signaller) send(ctx context.Context, sig string) error {
	p := g.p
	ctx, cancel := context.WithTimeout(ctx, 2*p.s.KillGrace+p.s.DialTimeout)
	defer cancel()
	via := g.alone
	var s *ssh.Session
	var release func()
	var err error
	if via == nil {
		via = g.c
		s, release, err = g.session(ctx)
		var refused *ssh.OpenChannelError
		if errors.As(err, &refused) || g.silent {
			if g.alone, g.done, err = p.dialAlone(ctx, g.c.host, g.a); err != nil {
				why := "refused another session"
				if g.silent {
					why = "gave no session and no answer"
				}
				return fmt.Errorf("%s %s, and a connection of its own to signal process group %d of %s failed: %w", g.c.label(), why, g.pgid, g.what, err)
			}
			via = g.alone
		}
	}
	if via == g.alone {
		s, release, err = via.newSession(ctx, forStop)
	}
	if err != nil {
		return err
	}
	defer release()
	ran := make(chan error, 1)
	go func() {
		ran <- s.Run(fmt.Sprintf("kill -%s -%d 2>/dev/null || kill -%s %d 2>/dev/null; true", sig, g.pgid, sig, g.pgid))
	}()
	select {
	case err := <-ran:
		return err
	case <-ctx.Done():
		via.close(&closedError{fmt.Errorf("no answer to a request to signal process group %d of %s", g.pgid, g.what)})
		<-ran
		return ctx.Err()
	}
}

// session opens the control session on c. One not given within
// KillGrace is waited for on, for the rest of ctx, only when c answers a
// keepalive: a busy connection (other steps being stopped hold its
// control session) is no reason for a connection of one's own.
func (g *signaller) session(ctx context.Context) (*ssh.Session, func(), error) {
	slow := errors.New("no session within the kill grace")
	first, cancel := context.WithTimeoutCause(ctx, g.p.s.KillGrace, slow)
	s, release, err := g.c.newSession(first, forStop)
	cancel()
	if err == nil || context.Cause(first) != slow || ctx.Err() != nil {
		return s, release, err
	}
	if !g.c.answers(g.p.s.KillGrace) {
		g.silent = true
		return nil, nil, err
	}
	return g.c.newSession(ctx, forStop)
}

// close closes the connection of its own, if one was made.
func (g *signaller) close() {
	if g.done != nil {
		g.done()
	}
}
