package auth

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"

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
		return Decision{Rule: fmt.Sprintf("the role requires a sandbox %s for %s: %v", req, st.Op, err), Via: d.Via, Params: true}
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

// riskReasonNote says why a step denied for its risk has that risk, when
// its operation can tell (ops.RiskExplainer) and the same operation would
// be allowed as a read: a viewer refused a GET learns that a method
// override header or a _method query parameter made it a write, and what
// to change, where the denial only named the risk. why is what the
// operation says (ops.Entry.RiskReason).
func (s *Subject) riskReasonNote(op string, risk ops.Risk, why string, d Decision) Decision {
	if d.Allowed || why == "" || risk == ops.RiskRead || !s.Decide(op, ops.RiskRead).Allowed {
		return d
	}
	d.Rule += fmt.Sprintf("; %s counts as a %s here because %s, or run with a role that allows %s operations", op, risk, why, risk)
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

// checkAddress decides at preflight what the dial would decide of a step
// whose target (the param its operation marks ops.Param.Target, or a key
// of each item of a list its operation marks ops.Param.ItemTargets, as
// the url and address of cluster.health's nodes) is written literally and
// can be told now: an address (127.0.0.1, [::1], 0.0.0.0) the role's http
// rules deny, or a name they deny by name. Such a step was allowed by
// validate and schedule, then denied on every run, after the steps before
// it. Names an address rule may let through, and targets written as
// expressions, are left to the dial; in a list written partly with
// expressions, what is literal is judged.
func (s *Subject) checkAddress(st *steps.Step, d Decision) Decision {
	if !d.Allowed || st.Entry == nil {
		return d
	}
	for _, p := range st.Entry.Spec.Params {
		if p.Target != ops.TargetNone {
			v, _ := st.LiteralParam(p.Name)
			raw, _ := v.(string)
			if rule := s.judgeTarget(st, p.Target, raw); rule != "" {
				return Decision{Rule: rule, Via: d.Via, Params: true}
			}
		}
		if len(p.ItemTargets) == 0 {
			continue
		}
		list, _ := partialParam(st, p.Name).([]any)
		keys := slices.Sorted(maps.Keys(p.ItemTargets))
		for i, item := range list {
			m, _ := item.(map[string]any)
			for _, k := range keys {
				raw, _ := m[k].(string)
				if rule := s.judgeTarget(st, p.ItemTargets[k], raw); rule != "" {
					what := fmt.Sprintf("%s item %d", p.Name, i)
					if name, _ := m["name"].(string); name != "" {
						what += fmt.Sprintf(" (%s)", name)
					}
					return Decision{Rule: fmt.Sprintf("%s, %s: %s", what, k, rule), Via: d.Via, Params: true}
				}
			}
		}
	}
	return d
}

// judgeTarget is the rule denying a literal target raw written as t, ""
// when the rules allow it or cannot tell before the dial.
func (s *Subject) judgeTarget(st *steps.Step, t ops.Target, raw string) string {
	host := targetHost(t, raw)
	if host == "" {
		return ""
	}
	scope := s.Scope(st.Op, st.Risk)
	var err error
	if a, ok := ruleAddr(host); ok {
		if t != ops.TargetLookup {
			ip := net.IP(a.AsSlice())
			if a.Zone() != "" {
				ip = nil // as the dialer gives it: refused under http rules
			}
			err = scope.AllowDial(host, ip)
		}
	} else {
		err = scope.AllowName(host)
	}
	if err != nil {
		return strings.TrimPrefix(err.Error(), errDenied.Error()+": ")
	}
	return ""
}

// partialParam returns the step's param name as plain data, with
// ops.Deferred in place of each part written as an expression: nil when
// it is not given, ops.Deferred when it is one expression as a whole.
func partialParam(st *steps.Step, name string) any {
	if st.Params != nil {
		return st.Params[name]
	}
	if st.With == nil {
		return nil
	}
	switch st.With.Kind {
	case steps.KindLiteral:
		m, _ := st.With.Lit.(map[string]any)
		return m[name]
	case steps.KindMap:
		for i, k := range st.With.Keys {
			if k == name {
				return partialValue(st.With.Items[i])
			}
		}
		return nil
	}
	return ops.Deferred
}

func partialValue(v *steps.Value) any {
	switch v.Kind {
	case steps.KindLiteral:
		return v.Lit
	case steps.KindList:
		out := make([]any, len(v.Items))
		for i, it := range v.Items {
			out[i] = partialValue(it)
		}
		return out
	case steps.KindMap:
		out := make(map[string]any, len(v.Keys))
		for i, k := range v.Keys {
			out[k] = partialValue(v.Items[i])
		}
		return out
	}
	return ops.Deferred
}

// targetHost is the host of a literal target written as t: a URL's, a
// host:port's or the name itself; "" when there is none to tell.
func targetHost(t ops.Target, raw string) string {
	switch {
	case raw == "":
		return ""
	case t == ops.TargetURL:
		u, err := url.Parse(raw)
		if err != nil {
			return ""
		}
		return u.Hostname()
	case t == ops.TargetAddress:
		if h, _, err := net.SplitHostPort(raw); err == nil {
			return h
		}
	}
	return strings.TrimSuffix(raw, ".")
}
