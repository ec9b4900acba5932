package steps

import "strings"

// graph checks needs and computes which steps come before which.
type graph struct {
	steps []*Step          // every step, sections in order
	byID  map[string]*Step // every step
	anc   [][]uint64       // anc[i] has bit j when step j is an ancestor of step i
}

// buildGraph checks that every need names a step of the same section and
// that there is no cycle, then computes ancestor sets. It returns nil when
// the graph is unusable.
func (l *loader) buildGraph() *graph {
	g := &graph{byID: l.ids}
	g.steps = l.pb.AllSteps()
	for i, s := range g.steps {
		s.index = i
	}
	ok := true
	for _, s := range g.steps {
		restore := l.within(s)
		for j, id := range s.Needs {
			pos := s.Pos
			if j < len(s.needPos) {
				pos = s.needPos[j]
			}
			t := l.ids[id]
			switch {
			case t == nil:
				l.d.Add(pos, "step %s needs %q, which is not a step%s; %s", s.ID, id, didYouMeanStep(id, l.ids), l.stepList())
				ok = false
			case t == s:
				l.d.Add(pos, "step %s needs itself; remove it from needs", s.ID)
				ok = false
			case t.Section != s.Section:
				l.d.Add(pos, "step %s (in %s) needs %s (in %s); needs name steps of the same section. %s", s.ID, s.Section, id, t.Section, sectionHint(s.Section))
				ok = false
			case t.RescueOf != s.RescueOf:
				l.d.Add(pos, "rescue step %s (of %s) needs %s, a rescue step of %s; needs name rescue steps of the same step", s.ID, s.RescueOf.ID, id, t.RescueOf.ID)
				ok = false
			}
		}
		restore()
	}
	// Cycles are looked for even when some needs are wrong, over the
	// needs that are right, so that every problem is reported at once.
	order, cycles := g.topo()
	for _, cycle := range cycles {
		l.d.Add(cycle[0].Pos, "needs form a cycle: %s; break it by removing one of these needs", cyclePath(cycle))
	}
	if cycles != nil {
		return nil
	}
	if !ok {
		return nil
	}
	words := (len(g.steps) + 63) / 64
	g.anc = make([][]uint64, len(g.steps))
	backing := make([]uint64, words*len(g.steps))
	for _, s := range order {
		a := backing[s.index*words : (s.index+1)*words : (s.index+1)*words]
		for _, id := range s.Needs {
			t := l.ids[id]
			for w, x := range g.anc[t.index] {
				a[w] |= x
			}
			a[t.index/64] |= 1 << (t.index % 64)
		}
		g.anc[s.index] = a
	}
	return g
}

func sectionHint(s Section) string {
	switch s {
	case SectionSteps:
		return "the handler sections (on_success, on_failure, on_cancel, finally) run after all steps"
	case SectionRescue:
		return "a rescue step can still read the step it rescues and that step's ancestors"
	}
	return "expressions in " + string(s) + " can still read any step of steps"
}

// topo returns the steps in an order where every step follows its needs,
// or the cycles: each that does not go through a step of one found before,
// so that cycles in different parts of the playbook (its steps and its
// finally, say) are all reported at once.
func (g *graph) topo() ([]*Step, [][]*Step) {
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, len(g.steps))
	order := make([]*Step, 0, len(g.steps))
	var stack []*Step
	var cycles [][]*Step
	var visit func(s *Step) bool
	visit = func(s *Step) bool {
		color[s.index] = grey
		stack = append(stack, s)
		for _, id := range s.Needs {
			t := g.byID[id]
			if t == nil || t == s || t.Section != s.Section || t.RescueOf != s.RescueOf {
				continue // reported by buildGraph
			}
			switch color[t.index] {
			case grey:
				for i, x := range stack {
					if x == t {
						cycles = append(cycles, append(append([]*Step{}, stack[i:]...), t))
						break
					}
				}
				return false
			case white:
				if !visit(t) {
					return false
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[s.index] = black
		order = append(order, s)
		return true
	}
	for _, s := range g.steps {
		if color[s.index] == white && !visit(s) {
			// The steps on the path to the cycle are done with: a cycle
			// through one of them would repeat this one's report.
			for _, x := range stack {
				color[x.index] = black
			}
			stack = stack[:0]
		}
	}
	if cycles != nil {
		return nil, cycles
	}
	return order, nil
}

func cyclePath(c []*Step) string {
	ids := make([]string, len(c))
	for i, s := range c {
		ids[i] = s.ID
	}
	return strings.Join(ids, " -> ")
}

// before reports whether step a always finishes before step b starts: a is
// an ancestor of b; or a rescue step of an ancestor of b; or, for a rescue
// step b, the step it rescues or an ancestor of that step; or b is in a
// section that runs after a's: on_success, on_failure and on_cancel after
// steps and their rescues, finally after those, notify after everything.
func (g *graph) before(a, b *Step) bool {
	switch {
	case a.Section == b.Section && a.RescueOf == b.RescueOf:
		return g.anc[b.index][a.index/64]&(1<<(a.index%64)) != 0
	case b.Section == SectionRescue:
		return a.Section == SectionSteps && (a == b.RescueOf || g.before(a, b.RescueOf)) ||
			a.Section == SectionRescue && g.before(a.RescueOf, b.RescueOf)
	case b.Section == SectionSteps:
		return a.Section == SectionRescue && g.before(a.RescueOf, b)
	case b.Section == SectionOnSuccess, b.Section == SectionOnFailure, b.Section == SectionOnCancel:
		return a.Section == SectionSteps || a.Section == SectionRescue
	case b.Section == SectionFinally:
		return a.Section != SectionNotify
	case b.Section == SectionNotify:
		return true
	}
	return false
}
