package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Selection picks the steps of a partial run, among those of steps:. From
// runs one step and every step that depends on it, directly or not; Only
// runs just the steps it names. A step left out does not run: when the
// resumed run (if any) has it succeeded, its state and output are taken
// from there; otherwise it is skipped, which lets the steps that need it
// run. A step that reads a left-out step (steps.X in its expressions) needs
// X's output, so CheckPartial refuses the run when the resumed run does
// not have it. The handler sections run as in any run.
type Selection struct {
	From string
	Only []string
}

// IsZero reports whether the selection selects every step.
func (s Selection) IsZero() bool { return s.From == "" && len(s.Only) == 0 }

func (s Selection) String() string {
	if s.From != "" {
		return "--from " + s.From
	}
	return "--only " + strings.Join(s.Only, ",")
}

// WithSelection runs only the selected steps; see Selection. Check it with
// CheckPartial first.
func WithSelection(sel Selection) RunOption {
	return RunOption{kind: optSelection, str: sel.From, strs: sel.Only}
}

// selected returns the nodes sel selects, by node index, rescue steps
// with the step they rescue.
func (p *Plan) selected(sel *Selection) (map[int]bool, error) {
	out := map[int]bool{}
	var add func(n *node)
	add = func(n *node) {
		if out[n.idx] {
			return
		}
		out[n.idx] = true
		for _, r := range n.rescue {
			out[r.idx] = true
		}
		if sel.From != "" {
			for _, d := range n.dependents {
				add(d)
			}
		}
	}
	names := sel.Only
	if sel.From != "" {
		names = []string{sel.From}
	}
	if len(names) == 0 {
		return nil, &ResumeError{"no step selected: name one with --from STEP or --only STEP"}
	}
	flag := "--only"
	if sel.From != "" {
		flag = "--from"
	}
	for _, id := range names {
		n := p.node(id)
		if n == nil || n.step.Section != steps.SectionSteps {
			return nil, &ResumeError{p.notAStep(id, n, flag)}
		}
		add(n)
	}
	return out, nil
}

func (p *Plan) notAStep(id string, n *node, flag string) string {
	if n != nil {
		return fmt.Sprintf("%s is a step of %s; --from and --only pick steps of steps: (the handler sections run as in any run)", id, n.step.Section)
	}
	// The reports name a sub-playbook's step by its path from the step
	// that ran it ("deploy/migrate", "fan[b]/say") and a fan-out's item
	// as "fan[b]": a name copied from them says which step to pick.
	head, _, nested := strings.Cut(id, "/")
	top, _, item := strings.Cut(head, "[")
	if m := p.node(top); m != nil && m.step.Section == steps.SectionSteps && (nested || item) {
		switch {
		case nested && m.step.Op == "playbook.run":
			return fmt.Sprintf("%q is a step of the sub-playbook step %s runs; --from and --only pick the playbook's own steps: %s %s runs that sub-playbook again from its start", id, top, flag, top)
		case !nested && m.step.Foreach != nil:
			return fmt.Sprintf("%q is an item of step %s; --from and --only pick whole steps: %s %s runs every item", id, top, flag, top)
		}
	}
	var ids []string
	for _, m := range p.sections[secSteps] {
		ids = append(ids, m.step.ID)
	}
	return fmt.Sprintf("no step %q in %s%s; its steps are %s", id, p.pb.File, suggest.DidYouMean(id, ids), strings.Join(ids, ", "))
}

// CheckSteps reports whether every step sel names is one of the
// playbook's steps:, with the steps it has and the one a typo most looks
// like. It is what is wrong first with a selection, before who may make it.
func (p *Plan) CheckSteps(sel Selection) error {
	_, err := p.selected(&sel)
	return err
}

// CheckPartial reports whether the selection can run, resuming prev (nil
// when none was given): the steps it names exist, prev is a run of this
// playbook (unchanged, or, with force, whose reused steps are defined as
// before), and every left-out step that a selected step reads succeeded in
// prev, so its output is known. Unlike a plain resume, prev may have
// succeeded: rerunning part of a good run is what --from is for.
func (p *Plan) CheckPartial(sel Selection, prev *report.Report, force bool) error {
	chosen, err := p.selected(&sel)
	if err != nil {
		return err
	}
	if prev != nil {
		if prev.Playbook.Name != p.pb.Name {
			return otherPlaybook(prev, p.pb.Name)
		}
		if prev.Playbook.SHA256 != p.pb.SHA256 && !force {
			return &ResumeError{fmt.Sprintf("%s changed since run %s (sha256 %.12s, now %.12s); add --force to take the left-out steps' outputs from it anyway, if those steps are unchanged", p.pb.File, prev.RunID, prev.Playbook.SHA256, p.pb.SHA256)}
		}
	}
	var missing []string
	seen := map[string]bool{}
	for _, n := range p.nodes {
		if !chosen[n.idx] {
			continue
		}
		for _, t := range n.reads {
			if chosen[t.idx] || t.step.Section.Handler() || seen[t.step.ID] {
				continue
			}
			seen[t.step.ID] = true
			ps := prevStep(prev, t.step.ID)
			lost := ""
			if ps != nil {
				lost = lossOf(ps)
			}
			switch {
			case ps == nil || ps.Status != report.StatusSucceeded:
				missing = append(missing, fmt.Sprintf("%s reads steps.%s, whose output is unknown", n.step.ID, t.step.ID))
			case prev.Playbook.SHA256 != p.pb.SHA256 && ps.Definition != p.fingerprint(t):
				missing = append(missing, fmt.Sprintf("%s reads steps.%s, which is defined differently now than in run %s", n.step.ID, t.step.ID, prev.RunID))
			case lost != "":
				// The report's copy is for people (see lossOf): the
				// step would read a masked or cut value.
				missing = append(missing, fmt.Sprintf("%s reads steps.%s, but run %s recorded %s, not its whole output", n.step.ID, t.step.ID, prev.RunID, lost))
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	hint := "give --resume REPORT of a run where those steps succeeded, or select them too"
	if prev != nil {
		hint = fmt.Sprintf("run %s does not have them succeeded with their whole output; select those steps too, or resume a run where they succeeded", prev.RunID)
	}
	return &ResumeError{fmt.Sprintf("cannot run %s: %s; %s", sel, strings.Join(missing, "; "), hint)}
}

func prevStep(prev *report.Report, id string) *report.Step {
	if prev == nil {
		return nil
	}
	for i := range prev.Steps {
		if prev.Steps[i].ID == id {
			return &prev.Steps[i]
		}
	}
	return nil
}

// unselected settles a step a partial run leaves out: with its state and
// output from the resumed run when it succeeded there, else skipped without
// blocking what needs it. It reports whether n is left out.
func (r *run) unselected(n *node) bool {
	if r.chosen == nil || (n.step.Section != steps.SectionSteps && n.step.Section != steps.SectionRescue) || r.chosen[n.idx] {
		return false
	}
	why := notSelected + r.o.sel.String() + ")"
	if ps := prevStep(r.o.resume, n.step.ID); ps != nil && ps.Status == report.StatusSucceeded {
		r.reuseAs(n, ps, why+"; state and output from run "+r.o.resume.RunID)
		return true
	}
	r.decided(n, report.StatusSkipped, why, nil, false)
	return true
}
