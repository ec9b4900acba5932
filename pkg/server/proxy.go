package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxy headers a server behind trusted proxies takes the client's address
// from (Proxies.Header).
const (
	HeaderXForwardedFor = "X-Forwarded-For"
	HeaderForwarded     = "Forwarded"
)

// Proxies are the reverse proxies (nginx, a load balancer) whose word on
// the client a server takes (serve's --trusted-proxy and --proxy-header).
// Only a request whose connection comes from an address of Trusted is read
// for Header; of its hops, right to left, the first address outside
// Trusted is the client (every proxy appends the address it was reached
// from, so what lies left of that was written by the client, and may be
// forged). The X-Forwarded-Proto (or Forwarded proto=) of that hop says
// whether the client came over HTTPS. A request from any other address is
// taken at its connection's address, whatever headers it carries.
type Proxies struct {
	Trusted []netip.Prefix
	// Header is HeaderXForwardedFor ("": the same) or HeaderForwarded:
	// the one the proxies write. The other is ignored, since a proxy
	// passes on unchanged the one it does not write, as the client sent
	// it.
	Header string
}

// ParseTrustedProxy reads a --trusted-proxy value: an IP address or a
// CIDR range. A range with bits set past its length (10.0.0.5/8) is
// refused rather than guessed at: it is the range 10.0.0.0/8, or a typo
// for the host 10.0.0.5.
func ParseTrustedProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or a CIDR range: give the proxy's address, like 10.0.0.5, or its network, like 10.0.0.0/24 (host names are not resolved)", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR range: give the proxies' network, like 10.0.0.0/24 or fd00::/64", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%q has bits set past its /%d: write %s for the range, or %s for the one host", s, p.Bits(), p.Masked(), p.Addr())
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p, nil
}

// CheckProxyHeader returns the canonical name of a --proxy-header value.
func CheckProxyHeader(h string) (string, error) {
	switch {
	case h == "" || strings.EqualFold(h, HeaderXForwardedFor):
		return HeaderXForwardedFor, nil
	case strings.EqualFold(h, HeaderForwarded):
		return HeaderForwarded, nil
	}
	return "", fmt.Errorf("%q is not a proxy header this server reads: give X-Forwarded-For (nginx, HAProxy, most load balancers) or Forwarded (RFC 7239), the one your proxy writes", h)
}

func (p *Proxies) trusts(a netip.Addr) bool {
	for _, t := range p.Trusted {
		if t.Contains(a) {
			return true
		}
	}
	return false
}

// clientKey holds a request's client (see clientAddr) once a trusted
// proxy's headers were read.
type clientKey struct{}

// handler sets, on each request of h from a trusted proxy, the client
// address its headers give, and marks it reached over HTTPS when they say
// so.
func (p *Proxies) handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, https, ok := p.client(r)
		if ok {
			ctx := context.WithValue(r.Context(), clientKey{}, client)
			if https {
				ctx = context.WithValue(ctx, httpsKey{}, true)
			}
			r = r.WithContext(ctx)
		}
		h.ServeHTTP(w, r)
	})
}

// hop is one proxy's word: the address it was reached from, and the
// scheme ("" when it gave none).
type hop struct {
	addr  netip.Addr
	ok    bool // addr was an IP address (not "unknown", not obfuscated)
	proto string
}

// client reads a request's proxy headers: ok is false when its
// connection is not from a trusted proxy, or it carries no hop.
func (p *Proxies) client(r *http.Request) (client string, https, ok bool) {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !p.trusts(peer.Addr().Unmap()) {
		return "", false, false
	}
	var hops []hop
	if p.Header == HeaderForwarded {
		hops = forwardedHops(r.Header.Values("Forwarded"))
	} else {
		hops = xffHops(r.Header.Values("X-Forwarded-For"), r.Header.Values("X-Forwarded-Proto"))
	}
	if len(hops) == 0 {
		return "", false, false
	}
	last := peer.Addr().Unmap()
	for i := len(hops) - 1; i >= 0; i-- {
		h := hops[i]
		if !h.ok {
			// A proxy that hides or does not know its client: the
			// nearest address known is the proxy's.
			return last.String(), false, true
		}
		last = h.addr
		if !p.trusts(h.addr) || i == 0 {
			return h.addr.String(), strings.EqualFold(h.proto, "https"), true
		}
	}
	return "", false, false
}

// xffHops reads X-Forwarded-For lines, in order, with the scheme of
// X-Forwarded-Proto: when the proxies append to it as to X-Forwarded-For
// (as many values), each hop has its own; otherwise every hop has the
// last, which the nearest proxy set.
func xffHops(fors, protos []string) []hop {
	var hops []hop
	for _, line := range fors {
		for _, v := range strings.Split(line, ",") {
			a, ok := parseHopAddr(strings.TrimSpace(v))
			hops = append(hops, hop{addr: a, ok: ok})
		}
	}
	var ps []string
	for _, line := range protos {
		for _, v := range strings.Split(line, ",") {
			ps = append(ps, strings.TrimSpace(v))
		}
	}
	for i := range hops {
		switch {
		case len(ps) == len(hops):
			hops[i].proto = ps[i]
		case len(ps) > 0:
			hops[i].proto = ps[len(ps)-1]
		}
	}
	return hops
}

// forwardedHops reads Forwarded lines (RFC 7239): one hop per element,
// its for= and proto=.
func forwardedHops(lines []string) []hop {
	var hops []hop
	for _, line := range lines {
		elems, closed := splitQuoted(line, ',')
		if !closed {
			// A quote the client left open would swallow the elements
			// the proxies appended after it, and make the client's own
			// for= the last hop. No proxy writes a comma or a quote that
			// stays open, so the text after the last comma is the
			// nearest proxy's element.
			elems = strings.Split(line, ",")
		}
		for _, elem := range elems {
			var h hop
			pairs, closed := splitQuoted(elem, ';')
			if !closed {
				pairs = strings.Split(elem, ";")
			}
			for _, pair := range pairs {
				k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
				v = strings.Trim(strings.TrimSpace(v), `"`)
				switch strings.ToLower(strings.TrimSpace(k)) {
				case "for":
					h.addr, h.ok = parseHopAddr(v)
				case "proto":
					h.proto = v
				}
			}
			hops = append(hops, h)
		}
	}
	return hops
}

// splitQuoted splits s at sep outside double-quoted strings; closed is
// false when s ends inside a quoted string.
func splitQuoted(s string, sep byte) (parts []string, closed bool) {
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:]), !quoted
}

// parseHopAddr reads a hop's address: an IP address, with or without a
// port, IPv6 possibly in brackets.
func parseHopAddr(v string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(strings.Trim(v, "[]")); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	if host, _, err := net.SplitHostPort(v); err == nil {
		if a, err := netip.ParseAddr(host); err == nil && a.Zone() == "" {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// clientConn names a request's client for a log line: its connection's
// address and port, or, through a trusted proxy, the client's address
// with the proxy's connection.
func clientConn(r *http.Request) string {
	if a, ok := r.Context().Value(clientKey{}).(string); ok {
		return a + " (through the proxy " + r.RemoteAddr + ")"
	}
	return r.RemoteAddr
}
