package steps

import (
	"maps"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// judgeRisk sets s.Risk and s.RiskWhy from the step's params p (as
// validated, an expression's value ops.Deferred) and its with: map.
func (s *Step) judgeRisk(p ops.Params, with *Value) {
	rp := riskParams(p, with)
	s.Risk, s.RiskWhy = s.Entry.RiskFor(rp), s.Entry.RiskReason(rp)
}

// riskParams is p with each map param that expressions compute only in
// part (its keys written out, some values given by ${{ }}) as that map,
// each computed value ops.Deferred, where validation saw the whole param
// as computed. An operation's risk may hang on one key of a map and not on
// the others: http.request's method-override header makes a GET a write,
// an Authorization header built from a secret does not, so a read-only
// role may send the one and not the other.
func riskParams(p ops.Params, with *Value) ops.Params {
	if with == nil || with.Kind != KindMap {
		return p
	}
	var out ops.Params
	for i, k := range with.Keys {
		it := with.Items[i]
		if p[k] != ops.Deferred || it.Kind != KindMap {
			continue
		}
		if out == nil {
			out = maps.Clone(p)
		}
		m := make(map[string]any, len(it.Keys))
		for j, mk := range it.Keys {
			if it.Items[j].Dynamic() {
				m[mk] = ops.Deferred
			} else {
				m[mk] = it.Items[j].Lit
			}
		}
		out[k] = m
	}
	if out == nil {
		return p
	}
	return out
}
