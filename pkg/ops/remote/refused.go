package remote

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/arsenal-run/arsenal-run/pkg/inventory"
)

// refusedHint says, when the dial to h was refused, what to check: that
// sshd listens on h's address and port, and where that port is set (the
// host's line in the inventory, or host: for an address written
// directly). "connection refused" alone, once per host of a fan-out, left
// the reader to guess between a wrong port and a stopped sshd.
func (p *Pool) refusedHint(h *inventory.Host, err error) string {
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return ""
	}
	where := "check the port in host:"
	if inv := p.s.Inventory; inv != nil && h.Pos.Line > 0 {
		where = fmt.Sprintf("check the port of %s in the inventory (%s:%d)", h.Name, inv.File, h.Pos.Line)
	}
	return fmt.Sprintf("; is sshd listening on %s? %s", h.HostPort(), where)
}
