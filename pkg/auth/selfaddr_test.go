package auth

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// hostAddrs returns this host's own addresses that are neither loopback
// nor link-local, as net.InterfaceAddrs lists them.
func hostAddrs(t *testing.T) []netip.Addr {
	t.Helper()
	list, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	var out []netip.Addr
	for _, a := range list {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		addr, ok := netip.AddrFromSlice(n.IP)
		if ok && !addr.Unmap().IsLoopback() && !addr.IsLinkLocalUnicast() {
			out = append(out, addr.Unmap())
		}
	}
	return out
}

// TestDenyLoopbackDeniesHostAddrs checks that deny_loopback denies the
// host's own interface addresses, which reach a service bound to 0.0.0.0
// or :: as 127.0.0.1 does, written plainly or IPv4-mapped, and even when
// an allow list takes them in; without deny_loopback they are allowed.
func TestDenyLoopbackDeniesHostAddrs(t *testing.T) {
	addrs := hostAddrs(t)
	if len(addrs) == 0 {
		t.Skip("this host has no address besides loopback and link-local")
	}
	all := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	deny := newScope([]*Role{{Name: "r", HTTP: &HTTPRules{DenyLoopback: true, AllowCIDRs: all}}})
	open := newScope([]*Role{{Name: "r", HTTP: &HTTPRules{AllowCIDRs: all}}})
	for _, a := range addrs {
		ips := []net.IP{net.IP(a.AsSlice())}
		if a.Is4() {
			ips = append(ips, net.IP(netip.AddrFrom16(a.As16()).AsSlice()))
		}
		for _, ip := range ips {
			err := deny.AllowDial("self.example", ip)
			if err == nil || !errors.Is(err, errDenied) || !strings.Contains(err.Error(), "address of this host") {
				t.Errorf("deny_loopback: AllowDial(%s) = %v, want it denied as this host's address", ip, err)
			}
			if err := open.AllowDial("self.example", ip); err != nil {
				t.Errorf("without deny_loopback: AllowDial(%s) = %v", ip, err)
			}
		}
	}
}

// TestDenyLoopbackUnlistableHost checks that deny_loopback denies, saying
// why, when the host's addresses cannot be listed: it cannot tell them
// from others.
func TestDenyLoopbackUnlistableHost(t *testing.T) {
	old := interfaceAddrs
	defer func() { interfaceAddrs = old }()
	interfaceAddrs = func() ([]net.Addr, error) { return nil, errors.New("netlink: permission denied") }
	s := newScope([]*Role{{Name: "r", HTTP: &HTTPRules{DenyLoopback: true}}})
	err := s.AllowDial("api.example.com", net.ParseIP("203.0.113.7"))
	if err == nil || !strings.Contains(err.Error(), "cannot list this host's addresses") || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("AllowDial = %v, want a denial naming the failed listing", err)
	}
	// Rules without deny_loopback do not need the list.
	s = newScope([]*Role{{Name: "r", HTTP: &HTTPRules{DenyPrivate: true}}})
	if err := s.AllowDial("api.example.com", net.ParseIP("203.0.113.7")); err != nil {
		t.Errorf("deny_private: AllowDial = %v", err)
	}
}
