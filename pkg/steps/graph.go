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
			}
		}
	}
	// Cycles are looked for even when some needs are wrong, over the
	// needs that are right, so that every problem is reported at once.
	order, cycle := g.topo()
	if cycle != nil {
		first := cycle[0]
		l.d.Add(first.Pos, "needs form a cycle: %s; break it by removing one of these needs", cyclePath(cycle))
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
	if s == SectionSteps {
		return "on_failure and finally steps run after all steps"
	}
	return "expressions in " + string(s) + " can still read any step of steps"
}

// topo returns the steps in an order where every step follows its needs, or
// a cycle.
func (g *graph) topo() ([]*Step, []*Step) {
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, len(g.steps))
	order := make([]*Step, 0, len(g.steps))
	var stack []*Step
	var cycle []*Step
	var visit func(s *Step) bool
	visit = func(s *Step) bool {
		color[s.index] = grey
		stack = append(stack, s)
		for _, id := range s.Needs {
			t := g.byID[id]
			if t == nil || t == s || t.Section != s.Section {
				continue // reported by buildGraph
			}
			switch color[t.index] {
			case grey:
				for i, x := range stack {
					if x == t {
						cycle = append(append([]*Step{}, stack[i:]...), t)
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
			return nil, cycle
		}
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
// an ancestor of b, or b is a handler and a runs in an earlier section.
func (g *graph) before(a, b *Step) bool {
	switch {
	case a.Section == b.Section:
		return g.anc[b.index][a.index/64]&(1<<(a.index%64)) != 0
	case b.Section == SectionOnFailure:
		return a.Section == SectionSteps
	case b.Section == SectionFinally:
		return true
	}
	return false
}
