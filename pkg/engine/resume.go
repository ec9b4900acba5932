package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/redact"
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

// lossOf says what the report of the resumed run lost of s's output, ""
// when nothing. A report's outputs are for people: secrets masked, long
// values cut, the items of a large fan-out past ReportItemsInFull without
// theirs; reusing such a copy would feed the steps after s wrong data.
// The report marks cuts to the output budget and dropped items in Cut,
// but not masking nor cuts to its own size limits, so a mask or a cut
// marker anywhere in the output counts too: a value that merely looks so
// costs a rerun, a wrong one would cost the run's correctness.
func lossOf(s *report.Step) string {
	total := 0
	for _, c := range s.ItemCounts {
		total += c
	}
	switch {
	case s.Cut != nil && s.Cut.Items > 0, len(s.Items) > ReportItemsInFull, len(s.Items) != total:
		return "the outputs of only some of its items"
	case s.Cut != nil:
		return "its output cut to the run's output budget"
	}
	vals := []any{s.Output}
	for _, it := range s.Items {
		vals = append(vals, it.Item, it.Output)
	}
	switch valuesLoss(vals...) {
	case lossMasked:
		return "its output with secrets masked"
	case lossCut:
		return "its output cut to the report's limits"
	}
	return ""
}

// The ways a value in a report may differ from the one a run had.
const (
	lossMasked = "masked"
	lossCut    = "cut"
)

// valuesLoss says whether any of vals holds a mask (lossMasked) or else a
// cut marker (lossCut) in a string anywhere inside it, "" when neither.
func valuesLoss(vals ...any) string {
	var masked, cut bool
	see := func(str string) {
		masked = masked || strings.Contains(str, redact.Mask)
		cut = cut || strings.Contains(str, cutMarker)
	}
	for _, v := range vals {
		walkStrings(v, see)
	}
	switch {
	case masked:
		return lossMasked
	case cut:
		return lossCut
	}
	return ""
}

// ValueLoss says what a report lost of a value it records, such as an
// input of the run: "" when nothing, else what the report holds instead.
// A report masks a secret's text inside other values and cuts long ones
// without saying so, so a mask or a cut marker anywhere in v counts.
func ValueLoss(v any) string {
	switch valuesLoss(v) {
	case lossMasked:
		return "it with a secret's text masked (" + redact.Mask + ")"
	case lossCut:
		return "it cut to the report's limits"
	}
	return ""
}

// cutMarker begins every marker a report leaves where it cut a value:
// report.Cap's and the output budget's alike.
const cutMarker = "[cut"

// walkStrings calls f with every string in v, map keys included.
func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, it := range x {
			walkStrings(it, f)
		}
	case map[string]any:
		for k, it := range x {
			f(k)
			walkStrings(it, f)
		}
	}
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

// paramsRecord is the parameter digest the report records for a step a
// later resume may reuse: one of the steps section that succeeded. It is
// computed when the report is built, with the environment the section ran
// in; nothing a step reads changes after the step ran. Its evaluations
// stop with the outputs' (a fan-out's items may each have worked for
// seconds): a step left without one runs again on resume.
func (r *run) paramsRecord(n *node) string {
	rec := r.rec(n.idx)
	if rec.paramsSHA != "" || n.step.Section != steps.SectionSteps || rec.status != report.StatusSucceeded {
		return rec.paramsSHA
	}
	if r.digestEnv == nil {
		r.digestEnv = r.baseEnv(r.digestCtx, "running")
	}
	d, err := r.paramsDigest(n, r.digestEnv)
	if err != nil {
		return ""
	}
	return d
}

// paramsDigest hashes what the step is called with under env: its
// resolved parameters, or for a fan-out the parameters of every item in
// order, with secrets masked so the report reveals nothing about them;
// and the directory the playbook was read from, where a relative path
// in them is read, so that a copy of a playbook elsewhere, reading other
// files, cannot hand its outputs to a resume of the original.
func (r *run) paramsDigest(n *node, env map[string]any) (string, error) {
	return r.digestOf(n, env, true)
}

// olderDigest reports whether recorded is the digest n's parameters have
// as releases before the directory was in it computed it: a report of
// theirs is not told from one of a copy of the playbook elsewhere by its
// reason, though both run the step again.
func (r *run) olderDigest(n *node, env map[string]any, recorded string) bool {
	d, err := r.digestOf(n, env, false)
	return err == nil && d == recorded
}

// digestOf is paramsDigest, without the playbook's directory unless withDir.
func (r *run) digestOf(n *node, env map[string]any, withDir bool) (string, error) {
	s := n.step
	var data any
	if !s.FanOut() {
		p, err := r.params(n, env)
		if err != nil {
			return "", err
		}
		data = map[string]any(p)
		if withDir {
			data = map[string]any{"params": map[string]any(p), "dir": r.p.dir()}
		}
	} else {
		list, err := r.items(s, env)
		if err != nil {
			return "", err
		}
		items := make([]any, len(list))
		for i, it := range list {
			p, err := r.params(n, withVars(env, steps.EnvItem, it, steps.EnvIndex, i))
			if err != nil {
				return "", fmt.Errorf("%s: %w", itemName(i, r.itemLabels(s, list)[i]), err)
			}
			items[i] = map[string]any(p)
		}
		data = map[string]any{"foreach": items}
		if withDir {
			data = map[string]any{"foreach": items, "dir": r.p.dir()}
		}
	}
	plain, err := plainData(data, 0)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(r.red.Value(plain))
	if err != nil {
		b = fmt.Appendf(nil, "%#v", r.red.Value(plain)) // NaN and Inf have no JSON
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// dir is the playbook's directory, absolute with its symlinks resolved.
func (p *Plan) dir() string {
	p.dirOnce.Do(func() {
		d, err := filepath.Abs(p.pb.Dir)
		if err != nil {
			d = p.pb.Dir
		}
		if real, err := filepath.EvalSymlinks(d); err == nil {
			d = real
		}
		p.realDir = d
	})
	return p.realDir
}

// fingerprint is a hash of what a step does: its op, parameters,
// conditions, retry, limits and needs, with expressions by their source.
// Resume compares it to decide whether a recorded output still stands for
// the step.
func (p *Plan) fingerprint(n *node) string {
	p.fpOnce.Do(func() {
		p.fps = make([]string, len(p.nodes))
		for i, x := range p.nodes {
			p.fps[i] = fingerprintOf(x.step)
		}
	})
	return p.fps[n.idx]
}

func fingerprintOf(s *steps.Step) string {
	def := map[string]any{
		"op": s.Op, "needs": s.Needs, "with": valueDef(s.With), "when": exprDef(s.When),
		"foreach": exprDef(s.Foreach), "concurrency": s.Concurrency, "fail_fast": s.FailFast,
		"timeout": s.Timeout.String(), "continue_on_error": s.ContinueOnError, "confirm": valueDef(s.Confirm),
		"retry": []any{s.Retry.Attempts, s.Retry.Delay.String(), s.Retry.Backoff, s.Retry.MaxDelay.String(), s.Retry.Jitter, exprDef(s.Retry.When), exprDef(s.Retry.Until)},
	}
	env := map[string]any{}
	for _, e := range s.Env {
		env[e.Name] = valueDef(e.Value)
	}
	def["env"] = env
	// Keys added later enter the definition only when set, so that the
	// fingerprints recorded before them still match.
	if r := s.Retry; r.Dynamic() {
		def["retry_exprs"] = []any{exprDef(r.AttemptsExpr), exprDef(r.DelayExpr), exprDef(r.MaxDelayExpr)}
	}
	if rp := s.Repeat; rp != nil {
		def["repeat"] = []any{exprDef(rp.Until), rp.Every.String(), exprDef(rp.EveryExpr), rp.Timeout.String()}
	}
	if m := s.Matrix; m != nil {
		axes := make([]any, len(m.Axes))
		for i, a := range m.Axes {
			axes[i] = []any{a.Name, valueDef(a.Values)}
		}
		def["matrix"] = []any{axes, valueDef(m.Include), valueDef(m.Exclude)}
	}
	if len(s.Rescue) > 0 {
		ids := make([]string, len(s.Rescue))
		for i, x := range s.Rescue {
			ids[i] = x.ID + "=" + fingerprintOf(x)
		}
		def["rescue"] = ids
	}
	b, _ := json.Marshal(def)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func exprDef(e *steps.Expr) any {
	if e == nil {
		return nil
	}
	return e.Source
}

func valueDef(v *steps.Value) any {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case steps.KindExpr:
		return map[string]any{"$expr": v.Expr.Source}
	case steps.KindTemplate:
		parts := make([]any, 0, 2*len(v.Parts))
		for _, pt := range v.Parts {
			parts = append(parts, pt.Text, exprDef(pt.Expr))
		}
		return map[string]any{"$template": parts}
	case steps.KindList:
		out := make([]any, len(v.Items))
		for i, it := range v.Items {
			out[i] = valueDef(it)
		}
		return out
	case steps.KindMap:
		out := make(map[string]any, len(v.Keys))
		for i, k := range v.Keys {
			out[k] = valueDef(v.Items[i])
		}
		return out
	}
	return v.Lit
}
