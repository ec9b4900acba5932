package remote

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"golang.org/x/crypto/ssh"
)

// refusedHint says, when the dial to h was refused, what to check: that
// sshd listens on h's address and port, and where that port is set (the
// host's line in the inventory, or host: for an address written
// directly). "connection refused" alone, once per host of a fan-out, left
// the reader to guess between a wrong port and a stopped sshd. Behind a
// jump host, the refusal is the jump host's, in sshd's words.
func (p *Pool) refusedHint(h *inventory.Host, err error) string {
	var oc *ssh.OpenChannelError
	seen := ""
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
	case h.Jump != nil && errors.As(err, &oc) && oc.Reason == ssh.ConnectionFailed &&
		strings.Contains(strings.ToLower(oc.Message), "refused"):
		seen = " (as " + h.Jump.Name + " sees it)"
	default:
		return ""
	}
	where := "check the port in host:"
	if inv := p.s.Inventory; inv != nil && h.Pos.Line > 0 {
		where = fmt.Sprintf("check the port of %s in the inventory (%s:%d)", h.Name, inv.File, h.Pos.Line)
	}
	return fmt.Sprintf("; is sshd listening on %s%s? %s", h.HostPort(), seen, where)
}
