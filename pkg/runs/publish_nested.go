package runs

import (
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// nestedRows names the live history rows of the steps of a run's
// sub-runs (playbook.run, at any depth) as the rows of its report name
// them at its end (history's stepRows): by their path from the run's
// top-level step, "call/say", "fan[web-1]/say" for a fan-out item's
// sub-run (parent_step names the item as the report does), in the section
// of that top-level step. So a process killed inside a long sub-playbook
// leaves the rows of the nested steps that finished; the report's rows
// replace them all when the run ends.
type nestedRows struct {
	// runs are the sub-runs seen, each with the path of its steps
	// ("call/", "call/inner/", "fan[web-1]/") and its top step's section.
	runs map[string]nestedRun
	// sections are the sections of the run's own steps, by id.
	sections map[string]string
}

type nestedRun struct{ path, section string }

// name returns the row id and section of ev's step, an event of the run
// runID or of one of its sub-runs; ok is false for an event of no run of
// it, or of a sub-run whose parent was not seen.
func (n *nestedRows) name(runID string, ev engine.Event) (id, section string, ok bool) {
	if ev.RunID == runID {
		if ev.Step != "" && ev.Kind == engine.EventStepStarted {
			if n.sections == nil {
				n.sections = map[string]string{}
			}
			n.sections[ev.Step] = ev.Section
		}
		return ev.Step, ev.Section, true
	}
	r, seen := n.runs[ev.RunID]
	if !seen {
		if ev.ParentStep == "" {
			return "", "", false
		}
		if ev.ParentRunID == runID {
			top, _, _ := strings.Cut(ev.ParentStep, "[")
			r = nestedRun{path: ev.ParentStep + "/", section: n.sections[top]}
		} else if parent, ok := n.runs[ev.ParentRunID]; ok {
			r = nestedRun{path: parent.path + ev.ParentStep + "/", section: parent.section}
		} else {
			return "", "", false
		}
		if r.section == "" {
			r.section = "steps"
		}
		if n.runs == nil {
			n.runs = map[string]nestedRun{}
		}
		n.runs[ev.RunID] = r
	}
	if ev.Kind == engine.EventRunFinished {
		delete(n.runs, ev.RunID)
		return "", "", false
	}
	return r.path + nestedLabel(ev), r.section, true
}

// nestedLabel names a sub-run's step in its path as history's rows do:
// its id, after its section for the handler sections, after the step it
// rescues and "rescue" for a rescue step.
func nestedLabel(ev engine.Event) string {
	switch {
	case ev.RescueOf != "":
		return ev.RescueOf + "/rescue/" + ev.Step
	case ev.Section != "" && ev.Section != "steps":
		return ev.Section + "/" + ev.Step
	}
	return ev.Step
}
