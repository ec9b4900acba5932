package engine

import (
	"slices"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Plan is a playbook ready to run: its steps as a graph, each with its
// resolved operation, and the call chain. It is immutable and safe for
// concurrent runs.
type Plan struct {
	e     *Engine
	pb    *steps.Playbook
	name  any     // pb.Name, boxed once for every run's run.playbook
	nodes []*node // every step, in the order of steps.Playbook.AllSteps
	// byID finds a node by its step's id; nil for a playbook of a few
	// steps, whose nodes are searched in turn (see node).
	byID map[string]*node
	// sections are the nodes of each section but rescue, by sectionIndex;
	// rescue nodes hang off the node they rescue.
	sections [numSections][]*node
	// outputReads are the steps the playbook's outputs read, each once.
	outputReads []*node
	handler     Handler
	fpOnce      sync.Once
	fps         []string // step fingerprints, by node index, for resume
	dirOnce     sync.Once
	realDir     string // pb.Dir, absolute, symlinks resolved, for resume
}

// node is a step in the graph.
type node struct {
	step       *steps.Step
	idx        int
	needs      []*node
	dependents []*node
	reads      []*node // the steps its expressions read
	envParam   bool    // the operation takes an env parameter
	rescue     []*node // the rescue steps of a step of steps
}

// The sections a run goes through, in order; rescue steps run inside the
// steps section, after the step they rescue.
const (
	secSteps = iota
	secOnSuccess
	secOnFailure
	secOnCancel
	secFinally
	secNotify
	numSections
)

func sectionIndex(s steps.Section) int {
	switch s {
	case steps.SectionOnSuccess:
		return secOnSuccess
	case steps.SectionOnFailure:
		return secOnFailure
	case steps.SectionOnCancel:
		return secOnCancel
	case steps.SectionFinally:
		return secFinally
	case steps.SectionNotify:
		return secNotify
	}
	return secSteps
}

// fewSteps is the most steps of a plan that finds its nodes by id without
// a map: a plan is made for each executed operation, and a map costs two
// allocations more than a search among a few.
const fewSteps = 8

// node returns the node of the step id, nil when the plan has none. Of
// steps of the same id, the last is found, as the map keeps it.
func (p *Plan) node(id string) *node {
	if p.byID != nil {
		return p.byID[id]
	}
	for i := len(p.nodes) - 1; i >= 0; i-- {
		if n := p.nodes[i]; n.step.ID == id {
			return n
		}
	}
	return nil
}

// Plan turns a loaded playbook into a plan.
func (e *Engine) Plan(pb *steps.Playbook) *Plan {
	all := pb.AllSteps()
	p := &Plan{e: e, pb: pb, name: pb.Name, handler: e.handler}
	if len(all) > fewSteps {
		p.byID = make(map[string]*node, len(all))
	}
	// The nodes in one allocation, and the main section the nodes
	// themselves when every step is one of it (an executed operation's
	// playbook, most scheduled ones): a plan is made for each run.
	slab := make([]node, len(all))
	p.nodes = make([]*node, len(all))
	mainOnly := true
	for i, s := range all {
		n := &slab[i]
		n.step, n.idx = s, i
		n.envParam = s.Entry.Spec.Param("env") != nil
		p.nodes[i] = n
		mainOnly = mainOnly && sectionIndex(s.Section) == secSteps && s.Section != steps.SectionRescue
	}
	for _, n := range p.nodes {
		s := n.step
		if p.byID != nil {
			p.byID[s.ID] = n
		}
		switch {
		case s.Section == steps.SectionRescue:
			parent := p.node(s.RescueOf.ID)
			parent.rescue = append(parent.rescue, n)
		case mainOnly:
		default:
			i := sectionIndex(s.Section)
			p.sections[i] = append(p.sections[i], n)
		}
	}
	if mainOnly && len(p.nodes) > 0 {
		p.sections[secSteps] = p.nodes[:len(p.nodes):len(p.nodes)]
	}
	for _, n := range p.nodes {
		for _, id := range n.step.Needs {
			t := p.node(id)
			n.needs = append(n.needs, t)
			t.dependents = append(t.dependents, n)
		}
		for _, id := range stepReads(n.step) {
			if t := p.node(id); t != nil && t != n {
				n.reads = append(n.reads, t)
			}
		}
	}
	seen := map[string]bool{}
	for _, o := range pb.Outputs {
		if readsAllSteps(o.Value) {
			p.outputReads = p.nodes
			break
		}
		valueReads(o.Value, func(id string) {
			if t := p.node(id); t != nil && !seen[id] {
				seen[id] = true
				p.outputReads = append(p.outputReads, t)
			}
		})
	}
	return p
}

// readsAllSteps reports whether one of v's expressions reads steps as a
// whole (keys(steps)), as only a playbook output may.
func readsAllSteps(v *steps.Value) bool {
	switch {
	case v == nil:
		return false
	case v.Expr != nil && v.Expr.AllSteps:
		return true
	}
	for _, pt := range v.Parts {
		if pt.Expr != nil && pt.Expr.AllSteps {
			return true
		}
	}
	for _, it := range v.Items {
		if readsAllSteps(it) {
			return true
		}
	}
	return false
}

// stepReads returns the ids of the steps a step's expressions read, each
// once, in the order they appear.
func stepReads(s *steps.Step) []string {
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	expr := func(e *steps.Expr) { exprReads(e, add) }
	value := func(v *steps.Value) { valueReads(v, add) }
	expr(s.When)
	expr(s.Foreach)
	if m := s.Matrix; m != nil {
		for _, a := range m.Axes {
			value(a.Values)
		}
		value(m.Include)
		value(m.Exclude)
	}
	expr(s.Retry.When)
	expr(s.Retry.Until)
	if s.Repeat != nil {
		expr(s.Repeat.Until)
	}
	value(s.Name)
	value(s.Confirm)
	value(s.With)
	for _, ev := range s.Env {
		value(ev.Value)
	}
	if s.Cache != nil {
		value(s.Cache.Key)
	}
	return ids
}

// valueReads calls each with the id of every step v's expressions read.
func valueReads(v *steps.Value, each func(id string)) {
	if v == nil {
		return
	}
	exprReads(v.Expr, each)
	for _, pt := range v.Parts {
		exprReads(pt.Expr, each)
	}
	for _, it := range v.Items {
		valueReads(it, each)
	}
}

// exprReads calls each with the id of every step e reads.
func exprReads(e *steps.Expr, each func(id string)) {
	if e == nil {
		return
	}
	for _, id := range e.Steps {
		each(id)
	}
}

// Playbook returns the playbook the plan runs.
func (p *Plan) Playbook() *steps.Playbook { return p.pb }

// AnyStep reports whether f holds for a step of the plan, in any section,
// rescue steps included.
func (p *Plan) AnyStep(f func(*steps.Step) bool) bool {
	return slices.ContainsFunc(p.nodes, func(n *node) bool { return f(n.step) })
}

// sortedKeys returns m's keys in order, nil for an empty map. The slice is
// sized once: every run sorts its inputs and env this way, and growing it
// key by key cost a handful of allocations a run.
func sortedKeys[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
