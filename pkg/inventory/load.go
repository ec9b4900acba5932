package inventory

import (
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// Limits of an inventory file.
const (
	MaxFileSize = 4 << 20
	MaxHosts    = 10000
	MaxGroups   = 10000
	// MaxJumps bounds the jump hosts in front of one host.
	MaxJumps = 8
)

// None, as a jump, means a direct connection even when a group names a
// jump host.
const None = "none"

var limits = yamlx.Limits{
	MaxFileSize: MaxFileSize, MaxDepth: 32, MaxAliasNodes: 10000, MaxNodes: 500_000,
	SplitHint: "split the inventory into several files", EmptyHint: "an inventory needs version and hosts",
}

var (
	topKeys      = []string{"version", "defaults", "hosts", "groups"}
	defaultsKeys = []string{"user", "port", "identity_file", "certificate_file", "vars"}
	hostKeys     = []string{"address", "port", "user", "identity_file", "certificate_file", "tags", "vars", "jump", "health_url"}
	groupKeys    = []string{"members", "vars", "jump", "description"}
)

// Load reads an inventory file. Every problem is reported at once, as
// yamlx.Diagnostics sorted by position.
func Load(path string) (*Inventory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, yamlx.Diagnostics{{File: path, Pos: yamlx.Pos{Line: 1, Col: 1}, Msg: fmt.Sprintf("cannot read the inventory: %v", err)}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, yamlx.Diagnostics{{File: path, Pos: yamlx.Pos{Line: 1, Col: 1}, Msg: fmt.Sprintf("cannot read the inventory: %v", err)}}
	}
	return Parse(path, data)
}

// Parse reads an inventory held in memory. file names it in diagnostics;
// relative identity files are taken from its directory.
func Parse(file string, data []byte) (*Inventory, error) {
	d := &yamlx.Diags{File: file}
	root := yamlx.Parse(data, limits, d)
	if root == nil {
		return nil, d.Err()
	}
	dir, _ := filepath.Abs(filepath.Dir(file))
	l := &loader{d: d, dir: dir, inv: &Inventory{File: file, hosts: map[string]*Host{}, groups: map[string][]string{}}}
	var versionSeen, hostsSeen bool
	yamlx.Fields(root, "the inventory", topKeys, d, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			versionSeen = true
			if n, ok := yamlx.Int(v, "version", 0, 1<<20, d); ok && n != 1 {
				d.Add(yamlx.PosOf(v), "unknown inventory version %d; this arsenal-run reads version 1", n)
			}
		case "defaults":
			l.defaults(v)
		case "hosts":
			hostsSeen = true
			l.hostsNode = v
		case "groups":
			l.groupsNode = v
		}
	})
	if !versionSeen {
		d.Add(yamlx.PosOf(root), "missing version; add `version: 1` at the top")
	}
	if !hostsSeen {
		d.Add(yamlx.PosOf(root), "missing hosts; list at least one host under hosts:")
	}
	// Defaults first, wherever they are written, since hosts use them.
	if l.hostsNode != nil {
		l.hosts(l.hostsNode)
	}
	if l.groupsNode != nil {
		l.groups(l.groupsNode)
	}
	l.resolve()
	if err := d.Err(); err != nil {
		return nil, err
	}
	return l.inv, nil
}

// rawHost is a host as written, before groups and defaults apply.
type rawHost struct {
	h       *Host
	vars    map[string]any
	jump    string // "" = not set
	jumpPos yamlx.Pos
	from    string // the group the jump comes from, "" for the host's own
}

// rawGroup is a group as written.
type rawGroup struct {
	name    string
	pos     yamlx.Pos
	members []ref
	vars    map[string]any
	jump    string
	jumpPos yamlx.Pos
}

type ref struct {
	name string
	pos  yamlx.Pos
}

type loader struct {
	d          *yamlx.Diags
	dir        string
	inv        *Inventory
	hostsNode  *yaml.Node
	groupsNode *yaml.Node
	raw        map[string]*rawHost
	rawGroups  map[string]*rawGroup
	groupOrder []string
}

func (l *loader) defaults(n *yaml.Node) {
	d := &l.inv.Defaults
	yamlx.Fields(n, "defaults", defaultsKeys, l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "user":
			d.User = l.user(v)
		case "port":
			d.Port, _ = yamlx.Int(v, "port", 1, 65535, l.d)
		case "identity_file":
			d.IdentityFile = l.path(v, "identity_file")
		case "certificate_file":
			d.CertificateFile = l.path(v, "certificate_file")
		case "vars":
			d.Vars = l.vars(v)
		}
	})
}

func (l *loader) hosts(n *yaml.Node) {
	pairs, ok := yamlx.Pairs(n, "hosts", l.d)
	if !ok {
		return
	}
	if len(pairs) == 0 {
		l.d.Add(yamlx.PosOf(n), "hosts is empty; list at least one host")
		return
	}
	if len(pairs) > MaxHosts {
		l.d.Add(yamlx.PosOf(n), "%d hosts, over the limit of %d (MaxHosts)", len(pairs), MaxHosts)
		return
	}
	l.raw = map[string]*rawHost{}
	for _, p := range pairs {
		if !l.name(p.Key, p.K, "host") {
			continue
		}
		h := &Host{Name: p.Key, Pos: yamlx.PosOf(p.K)}
		r := &rawHost{h: h}
		yamlx.Fields(p.V, "host "+p.Key, hostKeys, l.d, func(key string, k, v *yaml.Node) {
			switch key {
			case "address":
				if s, ok := yamlx.Str(v, "address", l.d); ok {
					if err := checkAddress(s); err != nil {
						l.d.Add(yamlx.PosOf(v), "%v; give the address without user or port (set those with user: and port:)", err)
					}
					h.Address = s
				}
			case "port":
				h.Port, _ = yamlx.Int(v, "port", 1, 65535, l.d)
			case "user":
				h.User = l.user(v)
			case "identity_file":
				h.IdentityFile = l.path(v, "identity_file")
			case "certificate_file":
				h.CertificateFile = l.path(v, "certificate_file")
			case "tags":
				for _, t := range l.list(v, "tags") {
					if !nameRE.MatchString(t.name) {
						l.d.Add(t.pos, "tag %q: use letters, digits, _, . and - (at most 64)", yamlx.Truncate(t.name, 40))
						continue
					}
					if !slices.Contains(h.Tags, t.name) {
						h.Tags = append(h.Tags, t.name)
					}
				}
			case "vars":
				r.vars = l.vars(v)
			case "jump":
				r.jump, r.jumpPos = l.jump(v)
			case "health_url":
				if s, ok := yamlx.Str(v, "health_url", l.d); ok {
					if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
						l.d.Add(yamlx.PosOf(v), "health_url %q is not an http:// or https:// URL", yamlx.Truncate(s, 60))
					}
					h.HealthURL = s
				}
			}
		})
		if h.Address == "" {
			// Like ssh, a host without an address is reached by its name.
			h.Address = p.Key
		}
		l.raw[p.Key] = r
		l.inv.hosts[p.Key] = h
		l.inv.order = append(l.inv.order, p.Key)
	}
}

func (l *loader) groups(n *yaml.Node) {
	pairs, ok := yamlx.Pairs(n, "groups", l.d)
	if !ok {
		return
	}
	if len(pairs) > MaxGroups {
		l.d.Add(yamlx.PosOf(n), "%d groups, over the limit of %d (MaxGroups)", len(pairs), MaxGroups)
		return
	}
	l.rawGroups = map[string]*rawGroup{}
	for _, p := range pairs {
		if !l.name(p.Key, p.K, "group") {
			continue
		}
		if p.Key == All {
			l.d.Add(yamlx.PosOf(p.K), "group %q is implicit (every host); choose another name", All)
			continue
		}
		if _, clash := l.inv.hosts[p.Key]; clash {
			l.d.Add(yamlx.PosOf(p.K), "group %q has the name of a host (line %d); a name must mean one thing, rename one", p.Key, l.inv.hosts[p.Key].Pos.Line)
			continue
		}
		g := &rawGroup{name: p.Key, pos: yamlx.PosOf(p.K)}
		v := yamlx.Deref(p.V)
		if v.Kind == yaml.MappingNode {
			yamlx.Fields(v, "group "+p.Key, groupKeys, l.d, func(key string, k, v *yaml.Node) {
				switch key {
				case "members":
					g.members = l.list(v, "members")
				case "vars":
					g.vars = l.vars(v)
				case "jump":
					g.jump, g.jumpPos = l.jump(v)
				case "description":
					yamlx.Str(v, "description", l.d)
				}
			})
		} else if v.Kind == yaml.SequenceNode {
			g.members = l.list(v, "group "+p.Key)
		} else {
			l.d.Add(yamlx.PosOf(v), "group %s must be a list of hosts and groups, or a mapping with members, vars and jump; not %s", p.Key, yamlx.KindName(v))
			continue
		}
		l.rawGroups[p.Key] = g
		l.groupOrder = append(l.groupOrder, p.Key)
	}
}

func (l *loader) name(s string, k *yaml.Node, what string) bool {
	if !nameRE.MatchString(s) {
		l.d.Add(yamlx.PosOf(k), "%s name %q: use letters, digits, _, . and - (at most 64), starting with a letter, digit or _", what, yamlx.Truncate(s, 40))
		return false
	}
	return true
}

func (l *loader) user(v *yaml.Node) string {
	s, ok := yamlx.Str(v, "user", l.d)
	if ok && !userRE.MatchString(s) {
		l.d.Add(yamlx.PosOf(v), "user %q is not a valid login name", yamlx.Truncate(s, 40))
	}
	return s
}

// path reads a file path: ~/ is the home directory, a relative path is
// taken from the inventory's directory.
func (l *loader) path(v *yaml.Node, what string) string {
	s, ok := yamlx.Str(v, what, l.d)
	if !ok {
		return ""
	}
	if s == "" || strings.IndexByte(s, 0) >= 0 {
		l.d.Add(yamlx.PosOf(v), "%s is empty", what)
		return ""
	}
	if rest, ok := strings.CutPrefix(s, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			l.d.Add(yamlx.PosOf(v), "%s: cannot find the home directory for ~ (%v); write the full path", what, err)
			return ""
		}
		return filepath.Join(home, rest)
	}
	if strings.HasPrefix(s, "~") {
		l.d.Add(yamlx.PosOf(v), "%s: only ~/ (your own home) is understood; write the full path", what)
		return ""
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(l.dir, s)
	}
	return filepath.Clean(s)
}

func (l *loader) vars(v *yaml.Node) map[string]any {
	if _, ok := yamlx.Pairs(v, "vars", l.d); !ok {
		return nil
	}
	m, _ := yamlx.Plain(v, l.d).(map[string]any)
	return m
}

func (l *loader) jump(v *yaml.Node) (string, yamlx.Pos) {
	s, ok := yamlx.Str(v, "jump", l.d)
	if !ok {
		return "", yamlx.Pos{}
	}
	if s == "" {
		l.d.Add(yamlx.PosOf(v), "jump is empty; name a host, write [user@]address[:port], or none for a direct connection")
	}
	return s, yamlx.PosOf(yamlx.Deref(v))
}

func (l *loader) list(n *yaml.Node, what string) []ref {
	n = yamlx.Deref(n)
	if n.Kind != yaml.SequenceNode {
		l.d.Add(yamlx.PosOf(n), "%s must be a list, not %s", what, yamlx.KindName(n))
		return nil
	}
	var out []ref
	for _, c := range n.Content {
		if s, ok := yamlx.Str(c, "each item of "+what, l.d); ok {
			out = append(out, ref{s, yamlx.PosOf(yamlx.Deref(c))})
		}
	}
	return out
}

// resolve checks group members and cycles, computes each host's groups,
// vars and jump host, and applies the defaults.
func (l *loader) resolve() {
	depth := l.groupDepths()
	// Expand every group into its hosts, in file order.
	memberOf := map[string][]string{} // host -> groups
	for _, g := range l.groupOrder {
		if _, ok := depth[g]; !ok {
			continue // part of a cycle, reported
		}
		seen := map[string]bool{}
		l.expand(g, seen)
		var hosts []string
		for _, h := range l.inv.order {
			if seen[h] {
				hosts = append(hosts, h)
				memberOf[h] = append(memberOf[h], g)
			}
		}
		l.inv.groups[g] = hosts
	}
	d := l.inv.Defaults
	for _, name := range l.inv.order {
		r, h := l.raw[name], l.inv.hosts[name]
		groups := memberOf[name]
		// Outer groups first, so that the group nearest the host wins.
		sort.SliceStable(groups, func(i, j int) bool {
			if depth[groups[i]] != depth[groups[j]] {
				return depth[groups[i]] < depth[groups[j]]
			}
			return groups[i] < groups[j]
		})
		vars := maps.Clone(d.Vars)
		if vars == nil {
			vars = map[string]any{}
		}
		for _, g := range groups {
			maps.Copy(vars, l.rawGroups[g].vars)
		}
		maps.Copy(vars, r.vars)
		h.Vars = vars
		h.Groups = slices.Sorted(slices.Values(groups))
		if h.Port == 0 {
			h.Port = d.Port
		}
		if h.Port == 0 {
			h.Port = DefaultPort
		}
		if h.User == "" {
			h.User = d.User
		}
		if h.IdentityFile == "" {
			h.IdentityFile = d.IdentityFile
		}
		if h.CertificateFile == "" {
			h.CertificateFile = d.CertificateFile
		}
		if r.jump == "" {
			r.jump, r.jumpPos, r.from = l.groupJump(h, groups)
		}
	}
	l.linkJumps()
}

// groupDepths returns how deep each group sits below groups that hold it
// (0 for a group no other group holds), reporting unknown members and
// cycles. Groups on a cycle are left out.
func (l *loader) groupDepths() map[string]int {
	for _, g := range l.groupOrder {
		for _, m := range l.rawGroups[g].members {
			_, isHost := l.inv.hosts[m.name]
			_, isGroup := l.rawGroups[m.name]
			if !isHost && !isGroup && m.name != All {
				l.d.Add(m.pos, "group %s: %q is neither a host nor a group%s", g, m.name, suggest.DidYouMean(m.name, append(l.inv.HostNames(), l.groupOrder...)))
			}
			if m.name == All {
				l.d.Add(m.pos, "group %s: the implicit group all cannot be a member; list the hosts or groups", g)
			}
		}
	}
	// Cycles, found by a depth-first walk that reports the member closing
	// each cycle.
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	bad := map[string]bool{}
	var stack []string
	var visit func(g string)
	visit = func(g string) {
		color[g] = grey
		stack = append(stack, g)
		for _, m := range l.rawGroups[g].members {
			if _, ok := l.rawGroups[m.name]; !ok {
				continue
			}
			switch color[m.name] {
			case grey:
				i := slices.Index(stack, m.name)
				cycle := append(slices.Clone(stack[i:]), m.name)
				l.d.Add(m.pos, "groups form a cycle: %s; a group cannot hold itself", strings.Join(cycle, " -> "))
				for _, c := range cycle {
					bad[c] = true
				}
			case white:
				visit(m.name)
			}
		}
		stack = stack[:len(stack)-1]
		color[g] = black
	}
	for _, g := range l.groupOrder {
		if color[g] == white {
			visit(g)
		}
	}
	// Depth: the longest chain of holders above a group.
	parents := map[string][]string{}
	for _, g := range l.groupOrder {
		for _, m := range l.rawGroups[g].members {
			if _, ok := l.rawGroups[m.name]; ok {
				parents[m.name] = append(parents[m.name], g)
			}
		}
	}
	depth := map[string]int{}
	var depthOf func(g string) int
	depthOf = func(g string) int {
		if d, ok := depth[g]; ok {
			return d
		}
		d := 0
		for _, p := range parents[g] {
			d = max(d, depthOf(p)+1)
		}
		depth[g] = d
		return d
	}
	if len(bad) > 0 {
		// Depths of groups near a cycle are meaningless; the file is
		// rejected anyway.
		return map[string]int{}
	}
	for _, g := range l.groupOrder {
		depthOf(g)
	}
	return depth
}

func (l *loader) expand(g string, seen map[string]bool) {
	for _, m := range l.rawGroups[g].members {
		if _, ok := l.inv.hosts[m.name]; ok {
			seen[m.name] = true
		} else if _, ok := l.rawGroups[m.name]; ok {
			l.expand(m.name, seen)
		}
	}
}

// groupJump returns the jump host that the host's groups give it. Groups
// that disagree are an error: the path to a host must be stated, not
// guessed.
func (l *loader) groupJump(h *Host, groups []string) (string, yamlx.Pos, string) {
	var jump, from string
	var pos yamlx.Pos
	for _, g := range groups {
		rg := l.rawGroups[g]
		if rg.jump == "" {
			continue
		}
		if jump != "" && rg.jump != jump {
			l.d.Add(h.Pos, "host %s gets jump %q from group %s and %q from group %s; set jump on the host", h.Name, jump, from, rg.jump, g)
			return "", yamlx.Pos{}, ""
		}
		jump, from, pos = rg.jump, g, rg.jumpPos
	}
	return jump, pos, from
}

// linkJumps turns jump names into hosts and rejects chains that loop or
// run too long.
func (l *loader) linkJumps() {
	for _, name := range l.inv.order {
		r, h := l.raw[name], l.inv.hosts[name]
		switch {
		case r.jump == "" || r.jump == None:
		case r.jump == name:
			if r.from != "" {
				l.d.Add(r.jumpPos, "host %s jumps through itself (the jump of group %s, which holds it); set jump: none on host %s", name, r.from, name)
			} else {
				l.d.Add(r.jumpPos, "host %s jumps through itself; remove the jump", name)
			}
		default:
			if j, ok := l.inv.hosts[r.jump]; ok {
				h.Jump = j
				continue
			}
			j, err := parseTarget(r.jump, &l.inv.Defaults)
			if err == errBareName {
				l.d.Add(r.jumpPos, "jump %q is not a host of the inventory%s; name one, or write [user@]address[:port]", r.jump, suggest.DidYouMean(r.jump, l.inv.order))
				continue
			}
			if err != nil {
				l.d.Add(r.jumpPos, "jump: %v", err)
				continue
			}
			h.Jump = j
		}
	}
	for _, name := range l.inv.order {
		h := l.inv.hosts[name]
		seen := []string{name}
		for j := h.Jump; j != nil; j = j.Jump {
			if slices.Contains(seen, j.Name) {
				l.d.Add(h.Pos, "jump hosts form a cycle: %s -> %s; break it with jump: none on one of them", strings.Join(seen, " -> "), j.Name)
				h.Jump = nil
				break
			}
			seen = append(seen, j.Name)
			if len(seen) > MaxJumps+1 {
				l.d.Add(h.Pos, "host %s is behind more than %d jump hosts (MaxJumps)", name, MaxJumps)
				h.Jump = nil
				break
			}
		}
	}
}
