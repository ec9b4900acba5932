package inventory

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

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
		l.expand(g, seen, map[string]bool{})
		var hosts []string
		for _, h := range l.inv.order {
			if seen[h] {
				hosts = append(hosts, h)
				memberOf[h] = append(memberOf[h], g)
			}
		}
		l.inv.groups[g] = hosts
	}
	// What each group lists, for distances.
	l.lists, l.subgroups = map[string]map[string]bool{}, map[string][]string{}
	for _, g := range l.groupOrder {
		for _, m := range l.rawGroups[g].members {
			if _, ok := l.rawGroups[m.name]; ok {
				l.subgroups[g] = append(l.subgroups[g], m.name)
			} else if _, ok := l.inv.hosts[m.name]; ok {
				if l.lists[g] == nil {
					l.lists[g] = map[string]bool{}
				}
				l.lists[g][m.name] = true
			}
		}
	}
	d := l.inv.Defaults
	for _, name := range l.inv.order {
		r, h := l.raw[name], l.inv.hosts[name]
		groups := memberOf[name]
		// Outer groups first, so that the group nearest the host wins;
		// of groups as near, the one nested deeper in groups of groups,
		// then the one whose name sorts last.
		dist := l.distances(name, groups)
		sort.SliceStable(groups, func(i, j int) bool {
			gi, gj := groups[i], groups[j]
			switch {
			case dist[gi] != dist[gj]:
				return dist[gi] > dist[gj]
			case depth[gi] != depth[gj]:
				return depth[gi] < depth[gj]
			}
			return gi < gj
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
		// A certificate belongs to one key: the default certificate goes
		// with the default key only. A host with a key of its own (a
		// bastion with its own, say) offers that key's -cert.pub, if any,
		// not a certificate of another key, which no server could take.
		if h.IdentityFile == "" {
			h.IdentityFile = d.IdentityFile
			if h.CertificateFile == "" {
				h.CertificateFile = d.CertificateFile
			}
		}
		if r.jump == "" {
			r.jump, r.jumpPos, r.from = l.groupJump(h, groups)
		}
	}
	l.linkJumps()
}

// distances returns how far each of groups, the groups holding host, is
// from it: 1 for a group that lists the host, and for a group that holds
// it through others one more than the farthest of its member groups that
// hold it. A group that holds another of the host's groups is so always
// farther than that one, and a group the host is in directly is nearer
// than one it reaches only through other groups, however the groups are
// placed in the rest of the file. groups hold no cycle.
func (l *loader) distances(host string, groups []string) map[string]int {
	holds := make(map[string]bool, len(groups))
	for _, g := range groups {
		holds[g] = true
	}
	dist := make(map[string]int, len(groups))
	var of func(g string) int
	of = func(g string) int {
		if d, ok := dist[g]; ok {
			return d
		}
		d := 0
		if l.lists[g][host] {
			d = 1
		}
		for _, m := range l.subgroups[g] {
			if holds[m] {
				d = max(d, of(m)+1)
			}
		}
		dist[g] = d
		return d
	}
	for _, g := range groups {
		of(g)
	}
	return dist
}

// groupDepths returns how deep each group sits below groups that hold it
// (0 for a group no other group holds), reporting unknown members and
// cycles. Groups on a cycle are left out.
func (l *loader) groupDepths() map[string]int {
	for _, g := range l.groupOrder {
		listed := map[string]yamlx.Pos{}
		for _, m := range l.rawGroups[g].members {
			if first, dup := listed[m.name]; dup {
				l.d.Add(m.pos, "group %s lists %q twice (first at line %d, column %d); remove one", g, m.name, first.Line, first.Col)
			} else {
				listed[m.name] = m.pos
			}
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

// expand marks in seen the hosts of group g, and in walked the groups it
// went through: a group reached again through another path (groups of
// groups that meet again, layer after layer) is not walked again, which
// would take time doubling with each layer.
func (l *loader) expand(g string, seen, walked map[string]bool) {
	walked[g] = true
	for _, m := range l.rawGroups[g].members {
		if _, ok := l.inv.hosts[m.name]; ok {
			seen[m.name] = true
		} else if _, ok := l.rawGroups[m.name]; ok && !walked[m.name] {
			l.expand(m.name, seen, walked)
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
			if err == nil {
				if msg := l.inv.bypass(j); msg != "" {
					l.d.Add(r.jumpPos, "jump %q: %s", r.jump, msg)
					continue
				}
			}
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
				l.d.Add(h.Pos, "host %s is behind more than %d jump hosts (a jump host's own jump: counts too); reach it through at most %d, as with jump: none on one of them", name, MaxJumps, MaxJumps)
				h.Jump = nil
				break
			}
		}
	}
}
