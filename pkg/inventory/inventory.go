// Package inventory reads the inventory file: the hosts a playbook may reach
// over SSH, with their addresses, users, keys, tags and vars, the groups
// they belong to (groups may hold groups), defaults, and the jump hosts
// that lead to them. The ssh.* operations resolve their host parameter
// through it, and cluster.health and cluster.topology can probe the same
// hosts.
//
// The file is read as strictly as a playbook (internal/yamlx): unknown and
// duplicate keys, unknown members, cycles among groups or jump hosts are
// all reported at once, each with file:line:column. An Inventory is
// immutable once loaded and safe for concurrent use.
package inventory

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// All is the implicit group holding every host of the inventory.
const All = "all"

// DefaultPort is the port of a host that names none.
const DefaultPort = 22

// Inventory is a loaded inventory file.
type Inventory struct {
	// File is the path the inventory was read from, for messages.
	File     string
	Defaults Defaults
	hosts    map[string]*Host
	order    []string            // host names in file order
	groups   map[string][]string // group name -> every host in it, file order, each once
	groupPos map[string]yamlx.Pos
}

// Defaults apply to every host that does not set its own value, and to
// addresses written directly in a host parameter (user@addr:port).
// CertificateFile goes with IdentityFile: a host with a key of its own
// does not get it.
type Defaults struct {
	User            string
	Port            int
	IdentityFile    string
	CertificateFile string
	Vars            map[string]any
}

// Host is one machine: an inventory entry, or an address written directly
// (user@addr:port), with defaults applied. A Host is shared and must not be
// modified.
type Host struct {
	// Name is the inventory name, or the target as written for an address
	// given directly.
	Name    string
	Address string // a DNS name or an IP address, without port
	Port    int
	// User is the login name; "" means the local user's name.
	User string
	// IdentityFile and CertificateFile are absolute paths (~ expanded,
	// relative paths taken from the inventory's directory), or "".
	IdentityFile    string
	CertificateFile string
	Tags            []string
	// Vars are the host's own vars over those of its groups over the
	// defaults' (a whole top-level value replaces another, never merged).
	Vars map[string]any
	// Groups are every group the host belongs to, directly or through a
	// group of groups, sorted; "all" is not listed.
	Groups []string
	// Jump is the host the connection goes through (OpenSSH's ProxyJump),
	// itself possibly behind another; nil for a direct connection.
	Jump *Host
	// HealthURL, when set, is what cluster.health probes with HTTP GET
	// instead of a TCP connection to Address:Port.
	HealthURL string
	// Pos is where the host is defined in the file; zero for a direct
	// address.
	Pos yamlx.Pos
}

// HostPort returns the address and port joined for dialling: 10.0.0.1:22,
// [2001:db8::1]:2222.
func (h *Host) HostPort() string {
	return net.JoinHostPort(h.Address, strconv.Itoa(h.Port))
}

// Matches reports whether the host is selected by pattern: "*" or "all",
// its name, a group it belongs to, or "tag:NAME" for a tag it carries.
// Authorization scopes (a role's hosts:) are written in these patterns.
func (h *Host) Matches(pattern string) bool {
	switch {
	case pattern == "*" || pattern == All || pattern == h.Name:
		return true
	case strings.HasPrefix(pattern, "tag:"):
		return slices.Contains(h.Tags, strings.TrimPrefix(pattern, "tag:"))
	}
	return slices.Contains(h.Groups, pattern)
}

// Chain returns the hosts a connection to h passes through, first hop
// first, ending with h itself.
func (h *Host) Chain() []*Host {
	var out []*Host
	for x := h; x != nil; x = x.Jump {
		out = append(out, x)
	}
	slices.Reverse(out)
	return out
}

// Data returns the host as plain data for expressions and reports: name,
// address, port, user, tags, groups and vars.
func (h *Host) Data() map[string]any {
	tags := make([]any, len(h.Tags))
	for i, t := range h.Tags {
		tags[i] = t
	}
	groups := make([]any, len(h.Groups))
	for i, g := range h.Groups {
		groups[i] = g
	}
	vars := maps.Clone(h.Vars)
	if vars == nil {
		vars = map[string]any{}
	}
	return map[string]any{
		"name": h.Name, "address": h.Address, "port": h.Port, "user": h.User,
		"tags": tags, "groups": groups, "vars": vars,
	}
}

// Host returns the host called name.
func (inv *Inventory) Host(name string) (*Host, bool) {
	if inv == nil {
		return nil, false
	}
	h, ok := inv.hosts[name]
	return h, ok
}

// HostNames returns every host name in file order.
func (inv *Inventory) HostNames() []string {
	if inv == nil {
		return nil
	}
	return slices.Clone(inv.order)
}

// GroupNames returns every group name, sorted, without "all".
func (inv *Inventory) GroupNames() []string {
	if inv == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(inv.groups))
}

// Hosts returns the hosts selected by name: a group (its hosts and those
// of the groups it holds, in file order, each once), "all", a single host,
// or "tag:NAME". An unknown name is an error with a suggestion; so is a
// group that holds no host, and a tag no host has.
func (inv *Inventory) Hosts(name string) ([]*Host, error) {
	if inv == nil {
		return nil, fmt.Errorf("no inventory is loaded; give one to select hosts by group")
	}
	var names []string
	switch {
	case name == All:
		names = inv.order
	case strings.HasPrefix(name, "tag:"):
		tag := strings.TrimPrefix(name, "tag:")
		for _, n := range inv.order {
			if slices.Contains(inv.hosts[n].Tags, tag) {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("inventory %s: no host has the tag %q", inv.File, tag)
		}
	default:
		if g, ok := inv.groups[name]; ok {
			if len(g) == 0 {
				// A selection of no host would make a fan-out that
				// succeeds having done nothing.
				pos := inv.groupPos[name]
				return nil, fmt.Errorf("group %q (%s:%d:%d) holds no host; add members to it, or select another group", name, inv.File, pos.Line, pos.Col)
			}
			names = g
		} else if _, ok := inv.hosts[name]; ok {
			names = []string{name}
		} else {
			return nil, fmt.Errorf("inventory %s has no group or host %q%s", inv.File, name, suggest.DidYouMean(name, inv.names()))
		}
	}
	out := make([]*Host, len(names))
	for i, n := range names {
		out[i] = inv.hosts[n]
	}
	return out, nil
}

// HostData returns Hosts(name) as plain data (see Host.Data), the shape
// a foreach over inventory hosts iterates on.
func (inv *Inventory) HostData(name string) ([]any, error) {
	hosts, err := inv.Hosts(name)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(hosts))
	for i, h := range hosts {
		out[i] = h.Data()
	}
	return out, nil
}

func (inv *Inventory) names() []string {
	out := append(inv.HostNames(), inv.GroupNames()...)
	return append(out, All)
}

// Resolve returns the host a host parameter names: an inventory host, or
// an address written [user@]addr[:port] (an IPv6 address in brackets when
// a port follows) with the inventory's defaults applied. A bare name that
// is not in the inventory is an error rather than a DNS lookup, so that a
// misspelt host name never reaches another machine. inv may be nil.
func (inv *Inventory) Resolve(target string) (*Host, error) {
	if h, ok := inv.Host(target); ok {
		return h, nil
	}
	var d Defaults
	if inv != nil {
		d = inv.Defaults
	}
	h, err := parseTarget(target, &d)
	if err == nil && inv != nil {
		if msg := inv.bypass(h); msg != "" {
			return nil, fmt.Errorf("host %q: %s", target, msg)
		}
	}
	if err == errBareName {
		if inv == nil {
			return nil, fmt.Errorf("host %q: no inventory is loaded; write the address as user@%s or %s:22, or load an inventory that names it", target, target, target)
		}
		if bypass := inv.bypass(&Host{Address: target}); bypass != "" {
			// user@NAME would be refused as well: it is a host of the
			// inventory written in other letter case.
			return nil, fmt.Errorf("host %q is not in inventory %s%s; host names are case-sensitive", target, inv.File, suggest.DidYouMean(target, inv.HostNames()))
		}
		return nil, fmt.Errorf("host %q is not in inventory %s%s; to reach an address directly write user@%s or %s:22", target, inv.File, suggest.DidYouMean(target, inv.HostNames()), target, target)
	}
	return h, err
}

// bypass says why h, an address written directly, must not be used: its
// address is the name of an inventory host, which the address would reach
// without the host's port, key and jump host; or "".
func (inv *Inventory) bypass(h *Host) string {
	for _, n := range inv.order {
		if strings.EqualFold(n, h.Address) {
			return fmt.Sprintf("%s is a host of inventory %s (line %d), but written with user@ or :port it would be dialled as a DNS name, "+
				"without the inventory's address, port, key and jump host; write %s and set user or port on the host in the inventory "+
				"(or add a second host entry with that user), or write the machine's real address", h.Address, inv.File, inv.hosts[n].Pos.Line, n)
		}
	}
	return ""
}

// CheckTarget checks the form of a host parameter without an inventory:
// an inventory name or [user@]addr[:port].
func CheckTarget(target string) error {
	if validName(target) {
		return nil
	}
	_, err := parseTarget(target, &Defaults{})
	return err
}
