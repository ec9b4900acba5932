package engine

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Resume reruns a failed or cancelled run: steps of the steps section that
// succeeded in prev, with an unchanged definition, keep their recorded
// output and are not executed again; the rest run. Check the pairing first
// with CheckResume.
func Resume(prev *report.Report) RunOption {
	return RunOption{kind: optResume, val: prev}
}

// otherPlaybook says that prev is a run of another playbook than name,
// and what to give instead: that playbook, or a run of this one. Either
// the playbook or the run id was the slip.
func otherPlaybook(prev *report.Report, name string) *ResumeError {
	which := fmt.Sprintf("%q", prev.Playbook.Name)
	if prev.Playbook.Path != "" {
		which += " (" + prev.Playbook.Path + ")"
	}
	return &ResumeError{fmt.Sprintf("run %s is of playbook %s, not %q: run that playbook to resume it, or give a run of %q ('arsenal-run history --playbook %s' lists them)",
		prev.RunID, which, name, name, shellword.Word(name))}
}

// ResumeError says why a report cannot be resumed with this plan.
type ResumeError struct{ Msg string }

func (e *ResumeError) Error() string { return e.Msg }

// CheckResume reports whether prev can be resumed with this plan. A run
// that succeeded has nothing to resume. When the playbook file changed,
// resuming needs force, and even then every step whose output would be
// reused must be defined as before.
func (p *Plan) CheckResume(prev *report.Report, force bool) error {
	if prev.Status == report.StatusSucceeded {
		if prev.DryRun {
			return &ResumeError{fmt.Sprintf("run %s was a dry run and succeeded; there is nothing to resume: run the playbook without --resume to run it for real", prev.RunID)}
		}
		if left := leftOut(prev); len(left) > 0 {
			// Its left-out steps never ran: "nothing to resume" would
			// read as if the whole playbook had.
			return &ResumeError{fmt.Sprintf("run %s succeeded, but as a partial run: %s did not run (not selected); add --only %s to run just those, the others' outputs taken from run %s",
				prev.RunID, strings.Join(left, ", "), strings.Join(left, ","), prev.RunID)}
		}
		return &ResumeError{fmt.Sprintf("run %s succeeded; there is nothing to resume", prev.RunID)}
	}
	if prev.Playbook.Name != p.pb.Name {
		return otherPlaybook(prev, p.pb.Name)
	}
	if prev.Playbook.SHA256 == p.pb.SHA256 {
		return nil
	}
	if !force {
		return &ResumeError{fmt.Sprintf("%s changed since run %s (sha256 %.12s, now %.12s); run it from the start, or add --force to resume if the steps that succeeded are unchanged", p.pb.File, prev.RunID, prev.Playbook.SHA256, p.pb.SHA256)}
	}
	var changed []string
	for _, s := range prev.Steps {
		if s.Status != report.StatusSucceeded || s.Section != string(steps.SectionSteps) {
			continue
		}
		n := p.node(s.ID)
		if n == nil || p.fingerprint(n) != s.Definition {
			changed = append(changed, s.ID)
		}
	}
	if len(changed) > 0 {
		sort.Strings(changed)
		what := "step " + changed[0] + " succeeded then but is defined differently now (or is gone); put back its definition"
		if len(changed) > 1 {
			what = "steps " + strings.Join(changed, ", ") + " succeeded then but are defined differently now (or are gone); put back their definitions"
		}
		return &ResumeError{fmt.Sprintf("cannot resume run %s even with --force: %s, or run the playbook from the start", prev.RunID, what)}
	}
	return nil
}

// notSelected starts the reason of a step that a partial run left out.
const notSelected = "not selected ("

// leftOut lists the steps of steps: that prev, a partial run, left out
// and did not take from the run it resumed: they did not run.
func leftOut(prev *report.Report) []string {
	var out []string
	for _, s := range prev.Steps {
		if s.Section == string(steps.SectionSteps) && s.Status == report.StatusSkipped && strings.HasPrefix(s.Reason, notSelected) {
			out = append(out, s.ID)
		}
	}
	return out
}

// reusable returns the recorded step of the resumed run that n may reuse:
// one that succeeded, is defined as before, whose when: holds in this run,
// whose needs all succeeded in this run, whose parameters resolve, with
// env, to what they were then and whose recorded output is the whole of
// it. A step that may not be reused runs, and its record says why unless
// it failed; one whose when: does not hold is then skipped, or fails on
// its condition, as in a fresh run.
func (r *run) reusable(n *node, env map[string]any) *report.Step {
	if r.o.resume == nil || n.step.Section != steps.SectionSteps {
		return nil
	}
	if r.resumed == nil {
		r.resumed = make(map[string]*report.Step, len(r.o.resume.Steps))
		for i := range r.o.resume.Steps {
			if s := &r.o.resume.Steps[i]; s.Status == report.StatusSucceeded {
				r.resumed[s.ID] = s
			}
		}
	}
	s := r.resumed[n.step.ID]
	if s == nil {
		return nil
	}
	rec := r.rec(n.idx)
	if s.Definition == "" {
		// A report written from the run's progress, when the process
		// had to exit before the run ended, records what became of each
		// step but not what it was run with nor its output.
		rec.reason = fmt.Sprintf("ran again: the report of run %s was written from its progress when the process exited, and holds no output to reuse", r.o.resume.RunID)
		return nil
	}
	if s.Definition != r.p.fingerprint(n) {
		rec.reason = fmt.Sprintf("ran again: it is defined differently from the step of run %s", r.o.resume.RunID)
		return nil
	}
	if what := n.step.Entry.Spec.Perishable; what != "" {
		// A pid found then may belong to another process now: reused,
		// it would have a later step signal that one.
		rec.reason = fmt.Sprintf("ran again: its output names %s, which may have ended or been replaced since run %s", what, r.o.resume.RunID)
		return nil
	}
	// The digest covers the parameters, not the condition: an input or an
	// upstream status the condition reads may have changed, and a step
	// this run would skip must not stand for one that ran.
	if w := n.step.When; w != nil {
		if ok, err := evalBool(r.file, w, env); err != nil || !ok {
			return nil
		}
	}
	if need, why := r.unsucceeded(n); need != "" {
		rec.reason = fmt.Sprintf("ran again: needs %s, which %s in this run", need, why)
		return nil
	}
	digest, err := r.paramsDigest(n, env)
	switch {
	case err != nil:
		rec.reason = fmt.Sprintf("ran again: its parameters could not be resolved to compare with run %s: %v", r.o.resume.RunID, err)
	case s.ParamsSHA256 == "":
		rec.reason = fmt.Sprintf("ran again: run %s did not record the parameters this step ran with", r.o.resume.RunID)
	case s.ParamsSHA256 != digest && r.olderDigest(n, env, s.ParamsSHA256):
		rec.reason = fmt.Sprintf("ran again: run %s was recorded by an older release (its parameter digests cannot be compared)", r.o.resume.RunID)
	case s.ParamsSHA256 != digest:
		rec.reason = fmt.Sprintf("ran again: its parameters, or the directory the playbook was read from, differ from those of run %s", r.o.resume.RunID)
	default:
		lost := lossOf(s)
		if lost == "" {
			return r.unlapsed(n, s, rec)
		}
		rec.reason = fmt.Sprintf("ran again: run %s recorded %s, not its whole output", r.o.resume.RunID, lost)
	}
	return nil
}

// reuse records a step as succeeded with the resumed run's output.
func (r *run) reuse(n *node, prev *report.Step) {
	r.reuseAs(n, prev, "reused from run "+r.o.resume.RunID)
}

// reuseAs records a step as succeeded with the state prev records: its
// output, and the tries and time it took in the run that ran it, which
// the steps after it read (steps.ID.attempts) as they did then. The step
// did not start in this run: it has no started_at.
func (r *run) reuseAs(n *node, prev *report.Step, reason string) {
	rec := r.rec(n.idx)
	rec.status, rec.reused = report.StatusSucceeded, true
	rec.reason = reason
	rec.output, rec.items = prev.Output, prev.Items
	rec.tries, rec.dur = prev.Attempts, time.Duration(prev.DurationMS)*time.Millisecond
	rec.paramsSHA = prev.ParamsSHA256
	// A fan-out over an empty list has no items to record, but its item
	// counts: its output is an empty list still, not null.
	if prev.Items != nil || prev.ItemCounts != nil {
		if rec.items == nil {
			rec.items = []report.Item{}
		}
		outs := make([]any, len(prev.Items))
		for i, it := range prev.Items {
			outs[i] = it.Output
		}
		rec.output = outs
	}
	r.publish(n)
	r.stepStarted(n, 0)
	r.stepFinished(n)
}
