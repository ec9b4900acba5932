package auth

// The checks of a policy made once every role is read: names that name
// no role, roles that inherit in a cycle, then the warnings about what
// inheritance does.

import (
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// check verifies role references and inheritance cycles.
func (l *policyLoader) check() {
	for _, r := range l.ref {
		if _, ok := l.p.Roles[r.name]; !ok {
			l.d.Add(r.pos, "%s names unknown role %q%s", r.what, r.name, suggest.DidYouMean(r.name, l.p.RoleNames()))
		}
	}
	l.cycles()
	l.inheritedDenies()
	l.deadMaxRisks()
}

// cycles reports every group of roles that inherit in a cycle: each
// strongly connected component of the inherits graph that has a cycle,
// found by Tarjan's depth-first search in time linear in roles and
// inherits entries. A component is reported once, at the position of its
// first role by name, with one cycle through that role and the other roles
// caught in it, so that the report stays as small as the file even where
// the cycles among the same roles are exponentially many. Components are
// independent, so a file with a <-> b and c <-> d gets both.
func (l *policyLoader) cycles() {
	names := l.p.RoleNames()
	const unvisited = -1
	index := make(map[string]int, len(names))
	low := make(map[string]int, len(names))
	onStack := map[string]bool{}
	for _, n := range names {
		index[n] = unvisited
	}
	var stack []string
	next := 0
	var visit func(name string)
	visit = func(name string) {
		index[name], low[name] = next, next
		next++
		stack = append(stack, name)
		onStack[name] = true
		for _, in := range l.p.Roles[name].Inherits {
			switch {
			case l.p.Roles[in] == nil: // reported as unknown
			case index[in] == unvisited:
				visit(in)
				low[name] = min(low[name], low[in])
			case onStack[in]:
				low[name] = min(low[name], index[in])
			}
		}
		if low[name] != index[name] {
			return
		}
		i := len(stack) - 1
		for stack[i] != name {
			i--
		}
		comp := slices.Clone(stack[i:])
		stack = stack[:i]
		for _, c := range comp {
			onStack[c] = false
		}
		l.reportCycle(comp)
	}
	for _, n := range names {
		if index[n] == unvisited {
			visit(n)
		}
	}
}

// reportCycle reports comp, a strongly connected component, if it holds a
// cycle: the shortest one through its first role by name, found breadth
// first inside the component.
func (l *policyLoader) reportCycle(comp []string) {
	slices.Sort(comp)
	root := comp[0]
	if len(comp) == 1 && !slices.Contains(l.p.Roles[root].Inherits, root) {
		return
	}
	in := make(map[string]bool, len(comp))
	for _, c := range comp {
		in[c] = true
	}
	parent := map[string]string{}
	queue := []string{root}
	var last string // the role whose inherits entry closes the cycle
	for len(queue) > 0 && last == "" {
		name := queue[0]
		queue = queue[1:]
		for _, next := range l.p.Roles[name].Inherits {
			if next == root {
				last = name
				break
			}
			if _, seen := parent[next]; in[next] && !seen {
				parent[next] = name
				queue = append(queue, next)
			}
		}
	}
	path := []string{root}
	for n := last; n != root; n = parent[n] {
		path = append(path, n)
	}
	slices.Reverse(path[1:])
	path = append(path, root)
	onPath := make(map[string]bool, len(path))
	for _, n := range path {
		onPath[n] = true
	}
	also := ""
	if others := slices.DeleteFunc(comp, func(c string) bool { return onPath[c] }); len(others) > 0 {
		also = " (and " + strings.Join(others, ", ") + " in cycles with these)"
	}
	l.d.Add(l.pos[root], "roles inherit in a cycle: %s%s; remove an inherits entry to break it", strings.Join(path, " -> "), also)
}
