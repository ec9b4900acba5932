package engine

// What a step is and is called with, as digests a resumed run compares
// with the run it resumes.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

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
