package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops/sandbox"
)

// Scope is what the caller's roles let operations touch. Operations read it
// from ops.Call.Scope through small interfaces: FileRoots, AllowDial,
// MaySignalOthers, SandboxRequirement and AllowHost.
//
// The scope of one role and what it inherits (newScope): only the roles
// that set a scope field count for it: a role that says nothing about http
// (like the built-in ones) neither lifts nor adds another role's http
// rules. Among the roles that set a field, rights add up: a path, host or
// signal that any of them allows is allowed, and a sandbox is required
// only when all of them require one, with the loosest of their limits.
//
// Roles a caller holds side by side are not merged that way: an operation
// that several of them allow gets a choice among their scopes, and each
// call of it is allowed whole by one of them (see choice).
type Scope struct {
	roots        []string // nil: the defaults
	http         []*HTTPRules
	unrestricted bool // no role sets http rules
	signalOthers bool
	sandbox      *sandbox.Limits // nil: no sandbox required
	hosts        []hostRule      // of the roles that set hosts:
	unsandboxed  map[string]bool // operations no sandbox holds, besides process.start
	// choice, when set, makes the scope a choice among the scopes of
	// held roles, and the fields above are unused.
	choice *choice
	// owners names, for a denial, the roles whose scope this is and
	// the policy file (see RootsOwners); no part of what it allows.
	owners owners
}

// Fingerprint names what the scope lets operations touch, so that a
// cache does not hand a caller what another's wider scope read: two
// scopes with the same fingerprint allow the same. A nil scope has "".
func (s *Scope) Fingerprint() string {
	if s == nil {
		return ""
	}
	if s.choice != nil {
		return s.choice.fingerprint()
	}
	type host struct {
		Role     string   `json:"role"`
		Patterns []string `json:"patterns"`
	}
	hosts := make([]host, len(s.hosts))
	for i, h := range s.hosts {
		hosts[i] = host{h.role, h.patterns}
	}
	roots := s.roots
	if roots == nil {
		// The defaults are this process's working and temp directories,
		// which differ between the processes sharing a state dir: a
		// read one made must not be a hit for another.
		for _, r := range fsroot.Defaults() {
			roots = append(roots, fsroot.Resolved(r))
		}
	}
	b, err := json.Marshal(struct {
		Roots        []string        `json:"roots"` // [] none
		HTTP         []*HTTPRules    `json:"http"`
		Unrestricted bool            `json:"unrestricted"`
		SignalOthers bool            `json:"signal_others"`
		Sandbox      *sandbox.Limits `json:"sandbox"`
		Hosts        []host          `json:"hosts"`
	}{roots, s.http, s.unrestricted, s.signalOthers, s.sandbox, hosts})
	if err != nil {
		return fmt.Sprintf("%p", s) // shares with nothing
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func newScope(roles []*Role) *Scope {
	s := &Scope{signalOthers: true}
	rootsSet, signalSet, sandboxFree := false, false, false
	for _, r := range roles {
		s.addHosts(r)
		if r.FileRoots != nil {
			rootsSet = true
			s.roots = append(s.roots, r.FileRoots...)
		}
		if r.HTTP != nil {
			s.http = append(s.http, r.HTTP)
		}
		if r.SignalOthers != nil {
			if !signalSet {
				s.signalOthers = false
				signalSet = true
			}
			s.signalOthers = s.signalOthers || *r.SignalOthers
		}
		if rs := r.RequireSandbox; rs != nil {
			if rs.Required {
				lim := rs.Limits
				s.sandbox = sandbox.Loosest(s.sandbox, &lim)
			} else {
				sandboxFree = true
			}
		}
	}
	if rootsSet && s.roots == nil {
		s.roots = []string{}
	}
	s.unrestricted = len(s.http) == 0
	if sandboxFree {
		s.sandbox = nil
	}
	return s
}

// anyOf is what any of several scopes allows, each field on its own: the
// roots a choice names in messages, and the scope a denial reads (such as
// the roots of a sub-playbook's path). It is never a call's scope: a call
// would take a path from one role and a host from another (see choice).
// A role's defaults count as what they are: a role without file_roots adds the working and temp
// directories, one without http rules or hosts lifts those limits.
func anyOf(scopes []*Scope) *Scope {
	if len(scopes) == 1 {
		return scopes[0]
	}
	u := &Scope{}
	defaultRoots, sandboxFree, anyHost := false, false, false
	var roots []string
	for _, s := range scopes {
		if s.roots == nil {
			defaultRoots = true
		} else {
			roots = append(roots, s.roots...)
		}
		if s.unrestricted {
			u.unrestricted = true
		}
		u.http = append(u.http, s.http...)
		u.signalOthers = u.signalOthers || s.signalOthers
		if s.sandbox == nil {
			sandboxFree = true
		} else {
			u.sandbox = sandbox.Loosest(u.sandbox, s.sandbox)
		}
		if len(s.hosts) == 0 {
			anyHost = true
		}
		u.hosts = append(u.hosts, s.hosts...)
	}
	switch {
	case defaultRoots && roots != nil:
		u.roots = append(fsroot.Defaults(), roots...)
	case !defaultRoots:
		u.roots = append([]string{}, roots...)
	}
	if u.unrestricted {
		u.http = nil
	}
	if sandboxFree {
		u.sandbox = nil
	}
	if anyHost {
		u.hosts = nil
	}
	return u
}

// FileRoots returns the directory trees file operations may touch; nil
// means the defaults (the working directory and the temp directory).
func (s *Scope) FileRoots() []string {
	if s.choice != nil {
		return s.choice.fileRoots()
	}
	return s.roots
}

// MaySignalOthers reports whether processes that arsenal-run did not start
// may be signalled.
func (s *Scope) MaySignalOthers() bool {
	if s.choice != nil {
		return s.choice.maySignalOthers()
	}
	return s.signalOthers
}

// SandboxRequired reports whether shell.exec must run sandboxed.
func (s *Scope) SandboxRequired() bool { return s.SandboxRequirement() != nil }

// SandboxRequirement returns the limits a required sandbox must keep to
// (a copy), or nil when no sandbox is required.
func (s *Scope) SandboxRequirement() *sandbox.Limits {
	if s.choice != nil {
		return s.choice.sandboxRequirement()
	}
	if s.sandbox == nil {
		return nil
	}
	l := *s.sandbox
	return &l
}

// unsandboxable are the operations that start programs and cannot run them
// in a sandbox: process.start's process outlives the step, so no sandbox
// directory, cgroup or namespace can be tied to it.
var unsandboxable = map[string]bool{"process.start": true}

// unsandboxing sets the operations besides process.start that cannot run
// in a sandbox (the policy's registry's plugins); it returns s.
func (s *Scope) unsandboxing(ops map[string]bool) *Scope {
	s.unsandboxed = ops
	return s
}

// limit turns an allowing decision into a denial when the scope requires a
// sandbox and op cannot run in one.
func (s *Scope) limit(op string, d Decision) Decision {
	if !d.Allowed || s.sandbox == nil || !unsandboxable[op] && !s.unsandboxed[op] {
		return d
	}
	if s.unsandboxed[op] {
		return Decision{Rule: fmt.Sprintf("the role requires a sandbox %s, and %s runs its program unsandboxed (a plugin); run it under a role that requires no sandbox, or run the program with shell.exec and sandbox:", s.sandbox, op), Via: d.Via}
	}
	return Decision{Rule: fmt.Sprintf("the role requires a sandbox %s, and %s cannot run sandboxed; use shell.exec with sandbox: instead", s.sandbox, op), Via: d.Via}
}

// RestrictsNetwork reports whether http rules limit where the scope's
// connections go; without any, every address is allowed.
func (s *Scope) RestrictsNetwork() bool {
	if s.choice != nil {
		for _, a := range s.choice.alts {
			if a.RestrictsNetwork() {
				return true
			}
		}
		return false
	}
	return !s.unrestricted
}

// AllowDial decides whether a connection to ip, resolved from host, may be
// made. It is consulted at dial time, so it also covers redirects and names
// that resolve to addresses the policy denies.
func (s *Scope) AllowDial(host string, ip net.IP) error {
	if s.choice != nil {
		return s.choice.allowDial(host, ip)
	}
	if s.unrestricted {
		return nil
	}
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return notPlainIP(host)
	}
	addr = reached(addr)
	var why string
	var self selfAddrs
	for _, h := range s.http {
		err := h.allow(strings.ToLower(host), addr, &self)
		if err == nil {
			return nil
		}
		why = err.Error()
	}
	return fmt.Errorf("%w: connecting to %s (%s): %s", errDenied, host, addr, why)
}

// notPlainIP is the refusal of a connection to host that reaches no plain
// IP (the dialer gives none): an IPv6 address with a zone, written so or
// given by a hosts file. The zone names an interface of this host, which
// the connection leaves by, and the rules judge an address alone.
func notPlainIP(host string) error {
	const fix = "the rules judge an address without an interface; give the address without its zone or a host name, " +
		"or run the step under a role without http rules"
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")); err == nil && a.Zone() != "" {
		kind := "an IPv6 address"
		if a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() {
			kind = "a link-local IPv6 address"
		}
		return fmt.Errorf("%w: connecting to %s: %s is %s with a zone (%%%s, an interface of this host), which http rules never allow: %s",
			errDenied, host, a.WithZone(""), kind, a.Zone(), fix)
	}
	return fmt.Errorf("%w: connecting to %s: it reaches an address that is not a plain IP (an IPv6 address with a %%zone, as a hosts file may give), which http rules never allow: %s",
		errDenied, host, fix)
}

// AllowName decides, before host is resolved, whether the rules could let
// a connection to it through: a name that every role's rules refuse by
// name alone (deny_hosts, or allow_hosts of names only that misses it) is
// denied without a DNS query, which would tell the name to whoever
// answers it. Addresses, and names an address rule might yet let through,
// are left to AllowDial.
func (s *Scope) AllowName(host string) error {
	if s.choice != nil {
		return s.choice.allowName(host)
	}
	if s.unrestricted {
		return nil
	}
	if _, ok := ruleAddr(host); ok || host == "" {
		return nil
	}
	var why string
	for _, h := range s.http {
		err := h.allowName(host)
		if err == nil {
			return nil
		}
		why = err.Error()
	}
	return fmt.Errorf("%w: connecting to %s: %s", errDenied, host, why)
}

func (h *HTTPRules) allowName(host string) error {
	for _, p := range h.DenyHosts {
		if !isAddrRule(p) && hostMatch(p, host) {
			return fmt.Errorf("host %s is denied by %q", host, p)
		}
	}
	if len(h.AllowHosts) == 0 || len(h.AllowCIDRs) > 0 {
		return nil // its address decides
	}
	for _, p := range h.AllowHosts {
		if isAddrRule(p) || hostMatch(p, host) {
			return nil
		}
	}
	return fmt.Errorf("host %s is not in the allowed hosts", host)
}

// isAddrRule reports whether a host rule entry is an address.
func isAddrRule(p string) bool {
	_, ok := ruleAddr(p)
	return ok
}

// ruleAddr is the address a host, or a host rule entry, is written as, in
// brackets or not; ok is false for a name.
func ruleAddr(h string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	return a, err == nil
}

func (h *HTTPRules) allow(host string, a netip.Addr, self *selfAddrs) error {
	for _, p := range h.DenyHosts {
		if hostRuleMatch(p, host, a) {
			return fmt.Errorf("host %s is denied by %q", host, p)
		}
	}
	for _, c := range h.DenyCIDRs {
		if c.Contains(a) {
			return fmt.Errorf("address is in denied network %s", c)
		}
	}
	if err := h.denySelf(a, self); err != nil {
		return err
	}
	switch {
	case h.DenyPrivate && a.IsPrivate():
		return fmt.Errorf("private addresses are denied")
	case h.DenyLinkLocal && (a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast()):
		return fmt.Errorf("link-local addresses are denied")
	}
	if len(h.AllowHosts) == 0 && len(h.AllowCIDRs) == 0 {
		return nil
	}
	for _, p := range h.AllowHosts {
		if hostRuleMatch(p, host, a) {
			return nil
		}
	}
	for _, c := range h.AllowCIDRs {
		if c.Contains(a) {
			return nil
		}
	}
	return fmt.Errorf("neither host %s nor address %s is in the allowed hosts or networks", host, a)
}

// reached returns the address a connection to a reaches: on Linux the
// unspecified addresses 0.0.0.0 and :: (and ::ffff:0.0.0.0) connect to the
// local host, so every rule treats them as the loopback address of their
// family. Otherwise deny_loopback, a denied 127.0.0.0/8 or an allow list
// would be bypassed by writing 0.0.0.0 or [::]. An IPv4-mapped address is
// checked as the IPv4 address it is.
func reached(a netip.Addr) netip.Addr {
	a = a.Unmap()
	switch {
	case !a.IsUnspecified():
		return a
	case a.Is4():
		return netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return netip.IPv6Loopback()
}

// hostRuleMatch matches an allow_hosts or deny_hosts entry against a
// connection to host at the address a (as reached returns it). An entry
// that is an address matches the address connected to, however the step
// wrote it: ::ffff:127.0.0.1, 0.0.0.0 or a name that resolves to it reach
// 127.0.0.1 as much as 127.0.0.1 does. Other entries match the name.
func hostRuleMatch(pattern, host string, a netip.Addr) bool {
	if pa, ok := ruleAddr(pattern); ok {
		return reached(pa.WithZone("")) == a
	}
	return hostMatch(pattern, host)
}

// hostMatch matches "example.com" exactly and "*.example.com" for any
// subdomain. Both sides are normalised first (see normHost), so that
// "Metadata.Internal." is the host "metadata.internal" is.
func hostMatch(pattern, host string) bool {
	pattern, host = normHost(pattern), normHost(host)
	if suffix, ok := strings.CutPrefix(pattern, "*."); ok {
		return strings.HasSuffix(host, "."+suffix)
	}
	return pattern == host
}

// normHost is a host name as DNS compares it: in lower case, without the
// one trailing dot of a fully qualified name ("db.corp.example." names
// db.corp.example).
func normHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}
