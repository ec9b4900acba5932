package runs

import (
	"fmt"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// subProgress follows the sub-playbooks a run's playbook.run steps start,
// so that a process exiting at once names the step of a sub-playbook
// that runs (call/tidy), not only the step that called it: that is what
// may leave a program running behind.
type subProgress struct {
	// runs are the sub-runs running, each with the path of its steps:
	// "call/" for one the run's step call started, "call/inner/" for one
	// a step inner of that one started, "fan[web-1]/" for an item of a
	// fan-out (by its label, else "fan[2]/" by its index).
	runs map[string]string
	// steps are the steps of sub-runs running now, by path.
	steps map[string]*stepProgress
	seq   int // how many sub-steps started: their order
}

// subEvent takes in ev, an event of a sub-run of the run runID (or of
// one of theirs). The caller holds the progress's lock.
func (p *subProgress) subEvent(runID string, ev engine.Event) {
	prefix, ok := p.runs[ev.RunID]
	if !ok {
		parent := ""
		if ev.ParentRunID != runID {
			if parent, ok = p.runs[ev.ParentRunID]; !ok {
				return // not a sub-run of this run
			}
		}
		if ev.ParentStep == "" || ev.Kind == engine.EventRunFinished {
			return
		}
		if p.runs == nil {
			p.runs, p.steps = map[string]string{}, map[string]*stepProgress{}
		}
		prefix = parent + ev.ParentStep + "/"
		p.runs[ev.RunID] = prefix
	}
	if ev.Kind == engine.EventRunFinished {
		delete(p.runs, ev.RunID)
		return
	}
	if ev.Step == "" {
		return
	}
	key := prefix + ev.Step
	s := p.steps[key]
	switch ev.Kind {
	case engine.EventStepStarted:
		if s == nil {
			p.seq++
			s = &stepProgress{op: ev.Op, started: ev.Time, seq: p.seq}
			p.steps[key] = s
		}
	case engine.EventItemStarted:
		if s != nil && ev.Index != nil {
			if s.running == nil {
				s.running = map[int]any{}
			}
			s.running[*ev.Index] = itemName(ev)
		}
	case engine.EventItemFinished:
		if s != nil && ev.Index != nil {
			delete(s.running, *ev.Index)
		}
	case engine.EventStepFinished:
		delete(p.steps, key)
	}
}

// under names the steps of sub-runs running now that step id of the run
// started, in the order they started: only the innermost of them, which
// run no sub-playbook of their own that runs a step. covered tells which
// items of id (a fan-out of playbook.run) have such a step, by the name
// their sub-run's parent_step gives them: the label, else the index.
func (p *subProgress) under(id string) (lines []string, covered map[string]bool) {
	var keys []string
	for k := range p.steps {
		if strings.HasPrefix(k, id+"/") || strings.HasPrefix(k, id+"[") {
			keys = append(keys, k)
		}
	}
	leaf := func(k string) bool {
		for _, o := range keys {
			if strings.HasPrefix(o, k+"/") || strings.HasPrefix(o, k+"[") {
				return false
			}
		}
		return true
	}
	keys = slices.DeleteFunc(keys, func(k string) bool { return !leaf(k) })
	slices.SortFunc(keys, func(a, b string) int { return p.steps[a].seq - p.steps[b].seq })
	for _, k := range keys {
		s := p.steps[k]
		line := fmt.Sprintf("%s (%s)", k, s.op)
		if items := s.runningItems(nil); items != "" {
			line += ": items " + items
		}
		lines = append(lines, line)
		if rest, ok := strings.CutPrefix(k, id+"["); ok {
			// fan[web-1]/say, fan[3]/nest/say: the item's name ends at
			// the first "]/" (a label holding one is not told apart)
			if n := strings.Index(rest, "]/"); n >= 0 {
				if covered == nil {
					covered = map[string]bool{}
				}
				covered[rest[:n]] = true
			}
		}
	}
	return lines, covered
}

// itemName is how an item event names its item: its label, else the
// preview of its value (nil when the event has none).
func itemName(ev engine.Event) any {
	if ev.Label == "" {
		return ev.Item
	}
	return ev.Label
}
