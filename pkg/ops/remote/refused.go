package remote

import (
	"errors"
	"fmt"
	"net"
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
	var dns *net.DNSError
	seen := ""
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return p.unknownNameHint(h)
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

// unknownNameHint says, when DNS does not know h's address, where that
// name comes from: the host's address in the inventory, its name there
// when it gives no address (the name is then looked up), or host:.
// "no such host" alone left the reader to find out which.
func (p *Pool) unknownNameHint(h *inventory.Host) string {
	inv := p.s.Inventory
	switch {
	case inv == nil || h.Pos.Line == 0:
		return fmt.Sprintf("; %s is not a name DNS knows here: check the address in host:", h.Address)
	case h.Address == h.Name:
		return fmt.Sprintf("; %s is not a name DNS knows here, and the inventory gives %s no address, so its name was looked up: "+
			"add address: to %s (%s:%d), or check the name", h.Address, h.Name, h.Name, inv.File, h.Pos.Line)
	}
	return fmt.Sprintf("; %s is not a name DNS knows here: check the address of %s in the inventory (%s:%d)", h.Address, h.Name, inv.File, h.Pos.Line)
}
