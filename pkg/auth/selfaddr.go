package auth

import (
	"fmt"
	"net"
	"net/netip"
)

// interfaceAddrs lists the addresses of this host's interfaces.
var interfaceAddrs = net.InterfaceAddrs

// selfAddrs answers, for one dial decision, whether an address is one of
// this host's own: a service bound to 0.0.0.0 or :: answers on every one
// of them as it does on 127.0.0.1, so deny_loopback denies them all. The
// interfaces are read when a rule first asks, once per decision and not
// cached across decisions: an address the host gains (DHCP, a VPN coming
// up) counts from the next connection on, and reading them (a netlink
// dump on Linux, tens of microseconds) costs little beside the dial it
// guards.
type selfAddrs struct {
	read  bool
	addrs map[netip.Addr]bool
	err   error
}

// has reports whether a is an address of this host's interfaces. A host
// whose interfaces cannot be listed gives an error, which denies: the
// rule cannot tell the host's addresses from others.
func (s *selfAddrs) has(a netip.Addr) (bool, error) {
	if !s.read {
		s.read = true
		s.addrs, s.err = listSelfAddrs()
	}
	if s.err != nil {
		return false, s.err
	}
	return s.addrs[a.Unmap().WithZone("")], nil
}

func listSelfAddrs() (map[netip.Addr]bool, error) {
	list, err := interfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("cannot list this host's addresses to apply deny_loopback: %v", err)
	}
	m := make(map[netip.Addr]bool, len(list))
	for _, a := range list {
		var ip net.IP
		switch v := a.(type) {
		case *net.IPNet:
			ip = v.IP
		case *net.IPAddr:
			ip = v.IP
		}
		if addr, ok := netip.AddrFromSlice(ip); ok {
			m[addr.Unmap()] = true
		}
	}
	return m, nil
}

// denySelf is deny_loopback's verdict on a, or nil: a loopback address,
// or an address of one of this host's interfaces (the unspecified
// addresses come here as loopback, see reached).
func (h *HTTPRules) denySelf(a netip.Addr, self *selfAddrs) error {
	if !h.DenyLoopback {
		return nil
	}
	if a.IsLoopback() {
		return fmt.Errorf("loopback addresses are denied")
	}
	mine, err := self.has(a)
	if err != nil {
		return err
	}
	if mine {
		return fmt.Errorf("%s is an address of this host, which deny_loopback denies as it does 127.0.0.1", a)
	}
	return nil
}
