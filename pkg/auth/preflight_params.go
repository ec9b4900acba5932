package auth

import (
	"fmt"
	"maps"
	"slices"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// checkSandbox decides at preflight what the run would decide of a step
// whose role requires a sandbox (Authorizer.Authorize): when the step's
// sandbox param is known before the run (left out, or written literally),
// a step that does not meet the requirement is denied now, rather than
// allowed by validate and schedule and then denied on every run. A
// sandbox written as an expression is left to the run.
func (s *Subject) checkSandbox(st *steps.Step, d Decision) Decision {
	if !d.Allowed || st.Entry == nil || st.Entry.Spec.Param("sandbox") == nil {
		return d
	}
	v, known := st.KnownParam("sandbox")
	if !known {
		return d
	}
	if req, err := s.Scope(st.Op, st.Risk).AdmitSandbox(v); err != nil {
		return Decision{Rule: fmt.Sprintf("the role requires a sandbox %s for %s: %v", req, st.Op, err), Via: d.Via}
	}
	return d
}

// deferredRiskNote says why a denied step counts as destructive when its
// op is not, by itself: a param its risk depends on is computed when the
// step runs (ops.Entry.RiskFor), so preflight counts the most it could be.
func deferredRiskNote(st *steps.Step, d Decision) Decision {
	if d.Allowed || st.Entry == nil || st.Risk != ops.RiskDestructive || st.Entry.Spec.Risk == ops.RiskDestructive {
		return d
	}
	if k := computedParam(st); k != "" {
		d.Rule += fmt.Sprintf("; %s counts as destructive here because a param its risk depends on (such as %s) is computed when the step runs: write it literally, or run with a role that allows destructive operations", st.Op, k)
	}
	return d
}

// computedParam names a param of the step written as an expression, ""
// for none.
func computedParam(st *steps.Step) string {
	for _, k := range slices.Sorted(maps.Keys(st.Params)) {
		if st.Params[k] == ops.Deferred {
			return k
		}
	}
	if st.With == nil {
		return ""
	}
	switch st.With.Kind {
	case steps.KindLiteral:
		return ""
	case steps.KindMap:
		for i, k := range st.With.Keys {
			if st.With.Items[i].Dynamic() {
				return k
			}
		}
		return ""
	}
	return "with"
}
