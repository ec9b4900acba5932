package auth

import (
	"net"
	"net/netip"
	"strings"
	"testing"
)

// TestScopeUnspecifiedIsLoopback checks that every address rule treats the
// unspecified addresses, which reach the local host on Linux, as loopback.
func TestScopeUnspecifiedIsLoopback(t *testing.T) {
	unspecified := []string{"0.0.0.0", "::", "::ffff:0.0.0.0", "0:0:0:0:0:0:0:0"}
	rules := map[string]*HTTPRules{
		"deny_loopback":  {DenyLoopback: true},
		"deny_cidrs v4":  {DenyCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}},
		"allow_cidrs":    {AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("::/128")}},
		"allow_hosts":    {AllowHosts: []string{"api.example.com"}},
		"deny_loopback+": {DenyLoopback: true, AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}},
	}
	for name, h := range rules {
		s := newScope([]*Role{{Name: "r", HTTP: h}})
		for _, ip := range unspecified {
			err := s.AllowDial(ip, net.ParseIP(ip))
			if err == nil {
				t.Errorf("%s: AllowDial(%s) allowed, want it refused as the local host", name, ip)
				continue
			}
			if !strings.Contains(err.Error(), "127.0.0.1") && !strings.Contains(err.Error(), "::1") {
				t.Errorf("%s: AllowDial(%s) = %v, want it to name the loopback address reached", name, ip, err)
			}
		}
	}
	// A rule that allows loopback allows the unspecified address too.
	s := newScope([]*Role{{Name: "r", HTTP: &HTTPRules{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}}})
	for _, ip := range unspecified {
		if err := s.AllowDial(ip, net.ParseIP(ip)); err != nil {
			t.Errorf("allow loopback: AllowDial(%s) = %v", ip, err)
		}
	}
	// Other addresses are unchanged, mapped ones checked as IPv4.
	s = newScope([]*Role{{Name: "r", HTTP: &HTTPRules{DenyLoopback: true}}})
	for ip, ok := range map[string]bool{"10.0.0.1": true, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": true, "2001:db8::1": true} {
		if err := s.AllowDial("h", net.ParseIP(ip)); (err == nil) != ok {
			t.Errorf("AllowDial(%s) = %v, want ok=%v", ip, err, ok)
		}
	}
}

// TestHTTPRulesOfInheritingRole checks that a role's http rules hold when
// it inherits a role without any, as the built-in ones are: before, the
// inherited role made the network unrestricted.
func TestHTTPRulesOfInheritingRole(t *testing.T) {
	p, err := ParsePolicy("policy.yaml", []byte(`version: 1
roles:
  oncall:
    inherits: [viewer]
    http: {deny_loopback: true}
`), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Subject([]string{"oncall"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{"127.0.0.1", "0.0.0.0", "::"} {
		if err := s.scope.AllowDial(ip, net.ParseIP(ip)); err == nil {
			t.Errorf("oncall inherits viewer: %s allowed despite deny_loopback", ip)
		}
	}
	if err := s.scope.AllowDial("example.com", net.ParseIP("93.184.216.34")); err != nil {
		t.Errorf("a public address: %v", err)
	}
}
