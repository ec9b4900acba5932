package auth

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// http reads a role's http: rules, the hosts and addresses its steps may reach.
func (l *policyLoader) http(n *yaml.Node) *HTTPRules {
	h := &HTTPRules{}
	yamlx.Fields(n, "http", httpKeys, l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "allow_hosts":
			h.AllowHosts = l.hostRules(v, key)
		case "deny_hosts":
			h.DenyHosts = l.hostRules(v, key)
		case "allow_cidrs":
			h.AllowCIDRs = l.cidrs(v, key)
		case "deny_cidrs":
			h.DenyCIDRs = l.cidrs(v, key)
		case "deny_private":
			h.DenyPrivate, _ = yamlx.Bool(v, key, l.d)
		case "deny_loopback":
			h.DenyLoopback, _ = yamlx.Bool(v, key, l.d)
		case "deny_link_local":
			h.DenyLinkLocal, _ = yamlx.Bool(v, key, l.d)
		}
	})
	return h
}

// hostRules reads allow_hosts or deny_hosts. An entry is matched by
// hostMatch against the host a step dials, as its URL names it, so an entry
// hostMatch can never match (a URL, host:port, "*foo", "") would allow or
// deny nothing without a word: each must be a host name, "*.suffix", or
// an address written as a URL's host is (IPv6 without brackets).
func (l *policyLoader) hostRules(n *yaml.Node, what string) []string {
	items := l.list(n, what)
	out := make([]string, 0, len(items))
	for _, c := range items {
		if c.s == "" {
			l.d.Add(c.pos, "%s: an empty entry matches no host; remove it, or write a host name like api.example.com or *.example.com", what)
			continue
		}
		if hint := hostRuleProblem(what, c.s); hint != "" {
			l.d.Add(c.pos, "%s: %q is not a host name or *.suffix; %s", what, yamlx.Truncate(c.s, 80), hint)
			continue
		}
		out = append(out, strings.ToLower(c.s))
	}
	return out
}

// hostRuleProblem returns what to write instead of s, an allow_hosts or
// deny_hosts entry, or "" when hostMatch can match it.
func hostRuleProblem(what, s string) string {
	if validHostRule(s) {
		return ""
	}
	if _, err := netip.ParsePrefix(s); err == nil {
		return "a network goes in " + strings.Replace(what, "_hosts", "_cidrs", 1)
	}
	// The most common mistake is pasting a URL or host:port: say which
	// host that is.
	if h := hostPart(s); h != "" && h != s && validHostRule(h) {
		return fmt.Sprintf("write %s (a URL's scheme, port and path are not part of a host rule)", h)
	}
	name := strings.TrimSuffix(s, ".")
	switch {
	case s == "*":
		if what == "deny_hosts" {
			return `to deny every connection, write deny_cidrs: [0.0.0.0/0, "::/0"] instead`
		}
		return "to allow every host, leave allow_hosts and allow_cidrs out"
	case numericTLD(name):
		return "it looks like an IPv4 address but is not one, and no host name ends in a label of digits; to match addresses, use allow_cidrs or deny_cidrs"
	case strings.Contains(s, "*"):
		return "a * may only stand first, as in *.example.com, which matches every subdomain of example.com (not example.com itself)"
	case strings.Contains(s, "%"):
		if a, err := netip.ParseAddr(s); err == nil {
			return fmt.Sprintf("write %s: an address with a zone is never dialled under a policy", a.WithZone(""))
		}
	case len(name) > 253:
		return "a host name is at most 253 characters"
	}
	return "write a name like api.example.com: labels of letters, digits, - and _, separated by dots, each at most 63 long and neither starting nor ending with -"
}

// validHostRule reports whether s is a host name (one trailing dot
// allowed, as normHost drops it), "*." and a host name, or an IP address
// as net.SplitHostPort leaves a URL's host (IPv6 without brackets).
// hostMatch compares these as strings, in lower case.
func validHostRule(s string) bool {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Zone() == ""
	}
	name := strings.TrimSuffix(s, ".")
	name = strings.TrimPrefix(name, "*.")
	return len(name) <= 253 && !numericTLD(name) && validDNSName(name)
}

// validDNSName reports whether name is labels of letters, digits, - and
// _ (the characters Go's resolver accepts), 1 to 63 long, joined by dots,
// none starting or ending with -.
func validDNSName(name string) bool {
	if name == "" {
		return false
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// numericTLD reports whether name ends in a label of digits. No top-level
// domain is all digits, so such a name that is not an IPv4 address
// ("10.0.0", "256.1.1.1", or the suffix of "*.0.0.1") is a mistyped
// address, which a host rule would compare as text.
func numericTLD(name string) bool {
	i := strings.LastIndexByte(name, '.')
	last := name[i+1:]
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// hostPart is the host that s, a URL, host:port, host/path or [IPv6],
// names; "" when it names none.
func hostPart(s string) string {
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return ""
		}
		return u.Hostname()
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		return h
	}
	if h, ok := strings.CutPrefix(s, "["); ok {
		h, _ = strings.CutSuffix(h, "]")
		return h
	}
	return s
}

func (l *policyLoader) cidrs(n *yaml.Node, what string) []netip.Prefix {
	var out []netip.Prefix
	for _, c := range l.list(n, what) {
		p, err := netip.ParsePrefix(c.s)
		if err != nil {
			if a, aerr := netip.ParseAddr(c.s); aerr == nil {
				p, err = a.Prefix(a.BitLen())
			}
		}
		if err != nil {
			l.d.Add(c.pos, "%s: %q is not a CIDR like 10.0.0.0/8 or an address", what, c.s)
			continue
		}
		if p.Addr().Is4In6() {
			// A connection to ::ffff:10.0.0.1 is checked as the IPv4
			// address it reaches, which an IPv6 network never holds.
			if p.Bits() < 96 {
				l.d.Add(c.pos, "%s: %q mixes IPv4-mapped and other IPv6 addresses; write the IPv4 network and the IPv6 one apart", what, c.s)
				continue
			}
			v4 := netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Masked()
			l.d.Add(c.pos, "%s: %q is IPv4-mapped, and addresses are checked as the IPv4 address they reach; write %s", what, c.s, v4)
			continue
		}
		out = append(out, p.Masked())
	}
	return out
}
