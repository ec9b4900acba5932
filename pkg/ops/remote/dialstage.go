package remote

import (
	"fmt"
	"net"

	"github.com/arsenal-run/arsenal-run/pkg/inventory"
)

// This file holds what a dial says of where it is, for the steps that
// stop waiting for it.

// dialStage is the part of making a connection a dial is in, so that a
// step that stops waiting for it can say where it was stuck.
type dialStage int32

const (
	stageConnect  dialStage = iota // TCP, straight to the host
	stageJump                      // through the jump host, its own dial included
	stageGreeting                  // connected; the server has sent nothing yet
	stageLogin                     // the SSH handshake and login
)

// describe says what a dial in this stage is doing for h.
func (s dialStage) describe(h *inventory.Host) string {
	switch s {
	case stageJump:
		return fmt.Sprintf("connecting to %s (%s) through jump host %s (%s)", h.Name, h.HostPort(), h.Jump.Name, h.Jump.HostPort())
	case stageGreeting:
		return fmt.Sprintf("waiting for the SSH greeting of %s (%s), which took the TCP connection but has sent nothing "+
			"(an sshd that hangs or has no connection slot free, its MaxStartups, or no SSH server on that port)", h.Name, h.HostPort())
	case stageLogin:
		return fmt.Sprintf("logging in to %s (%s)", h.Name, h.HostPort())
	}
	return fmt.Sprintf("connecting to %s (%s)", h.Name, h.HostPort())
}

// where says what the dial of e, for h, is doing. A dial waiting for its
// jump host's own dial says where that one is, down to the hop holding
// the chain up: in a chain of jump hosts, the one to look at. The caller
// does not hold p.mu.
func (p *Pool) where(e *entry, h *inventory.Host) string {
	what := dialStage(e.stage.Load()).describe(h)
	x, xe := h, e
	for x.Jump != nil && dialStage(xe.stage.Load()) == stageJump {
		p.mu.Lock()
		je := p.conns[connKey(x.Jump)]
		p.mu.Unlock()
		if je == nil || isClosed(je.ready) {
			break // the jump host is connected: this dial is past it
		}
		x, xe = x.Jump, je
	}
	if x == h {
		return what
	}
	return fmt.Sprintf("%s, held up at jump host %s: %s", what, x.Name, dialStage(xe.stage.Load()).describe(x))
}

// greetConn is a connection being dialled that moves its entry from
// stageGreeting to stageLogin when the server sends its first bytes: a
// server that takes the connection and never says a word (a hung sshd,
// one at its MaxStartups, a firewall's tarpit) is told from one whose
// login is slow.
type greetConn struct {
	net.Conn
	e *entry
}

func (g greetConn) Read(b []byte) (int, error) {
	n, err := g.Conn.Read(b)
	if n > 0 {
		g.e.stage.CompareAndSwap(int32(stageGreeting), int32(stageLogin))
	}
	return n, err
}
