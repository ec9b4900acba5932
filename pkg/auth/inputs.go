package auth

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// A grant pins a runbook's file, and with it the inputs a caller may set.
// Under a grant, the caller's values run with another role's rights, so an
// input that steers what runs (a command, a pattern of process names, a
// URL) must not be free: each input the caller sets must meet a
// constraint, from the grant (`inputs:` in the policy) or from the runbook
// (enum, min, max, pattern). An input that neither constrains keeps its
// default. Secret inputs may be passed unless the grant constrains them:
// they are credentials, not choices of what to do, but a policy that pins
// one (a webhook URL that carries a token) means it.

// Where an input's constraint comes from, in InputRule.By.
const (
	ByGrant   = "grant"
	ByRunbook = "runbook"
	BySecret  = "secret"
	Free      = ""
)

// InputRule says what a grant lets callers set for one input of its
// runbook.
type InputRule struct {
	Input *steps.Input
	// By is ByGrant or ByRunbook for a constrained input, BySecret for a
	// secret one the grant does not constrain, and Free for one that must
	// keep its default.
	By   string
	Rule *steps.Constraint // the constraint that applies; nil if none
}

// GrantInputs lists how the subject's grant treats each input of its
// playbook, in the order the playbook declares them; nil when no grant
// applies.
func (s *Subject) GrantInputs() []InputRule {
	if s.grant == nil || s.playbook == nil {
		return nil
	}
	out := make([]InputRule, 0, len(s.playbook.Inputs))
	for _, in := range s.playbook.Inputs {
		r := InputRule{Input: in}
		switch c := s.grant.Inputs[in.Name]; {
		case c != nil:
			r.By, r.Rule = ByGrant, c
		case in.Secret:
			r.By = BySecret
		case !in.Constraint.IsZero():
			r.By, r.Rule = ByRunbook, &in.Constraint
		}
		out = append(out, r)
	}
	return out
}

// UnknownGrantInputs returns the inputs the grant constrains that its
// playbook does not declare, sorted: most likely misspelt, they leave the
// real input free.
func (s *Subject) UnknownGrantInputs() []string {
	if s.grant == nil || s.playbook == nil {
		return nil
	}
	var out []string
	for name := range s.grant.Inputs {
		if s.playbook.Input(name) == nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Grant describes the grant that applies to the subject's playbook, like
// "runbooks/restart.yaml as admin"; "" when none does.
func (s *Subject) Grant() string {
	if s.grant == nil {
		return ""
	}
	return s.grant.Path + " as " + s.grant.As
}

// InputsError is a run refused because its inputs are not what the grant
// that authorizes it allows. It wraps ops.ErrDenied.
type InputsError struct {
	Grant    string   // "runbooks/restart.yaml as admin"
	Role     string   // the caller's role that holds the grant
	Policy   string   // the policy file
	Inputs   []string // the inputs not allowed
	Problems []string // one per input, each with its fix
}

func (e *InputsError) Error() string {
	return fmt.Sprintf("role %s's grant of %s does not let the caller set %s: %s",
		e.Role, e.Grant, plural(len(e.Problems), "this input", "these inputs"), strings.Join(e.Problems, "; "))
}

func (e *InputsError) Unwrap() error { return errDenied }

// CheckInputs checks the inputs of a run that the subject's grant
// authorizes: each input whose value is not its default must meet the
// grant's constraint for it, or else be secret, or else meet the
// runbook's own constraint. It
// returns nil when no grant applies, and an *InputsError naming every
// input that is not allowed and the fix.
func (s *Subject) CheckInputs(inputs map[string]any) error {
	if s.grant == nil || s.playbook == nil {
		return nil
	}
	policy := s.policy.File
	if policy == "" {
		policy = "the policy"
	}
	var names, problems []string
	for _, r := range s.GrantInputs() {
		in := r.Input
		v, set := inputs[in.Name]
		if !set || r.By == BySecret || steps.SameData(v, in.UnsetValue()) {
			continue
		}
		switch r.By {
		case ByGrant, ByRunbook:
			if err := r.Rule.Check(v); err != nil {
				names = append(names, in.Name)
				if in.Secret { // the error and the rule may quote secrets
					problems = append(problems, fmt.Sprintf("input %s: the secret value given is not one the %s allows (its rule is not shown, as it may hold secrets)", in.Name, r.By))
				} else {
					problems = append(problems, fmt.Sprintf("input %s: %v (the %s's rule)", in.Name, err, r.By))
				}
			}
		default:
			keep := "it must keep its default (" + show(in.UnsetValue()) + ")"
			if in.Default == nil {
				keep = "it must be left unset"
			}
			names = append(names, in.Name)
			problems = append(problems, fmt.Sprintf("input %s is set to %s, but neither the grant nor the runbook constrains it, so %s; add inputs.%s to the grant of %s in policy %s, or give the input an enum (or min, max, pattern) in the runbook",
				in.Name, show(v), keep, in.Name, s.grant.Path, policy))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &InputsError{Grant: s.Grant(), Role: s.grant.Role, Policy: policy, Inputs: names, Problems: problems}
}

// UsesGrant reports whether any verdict allows a step through a grant
// rather than by the caller's own roles.
func UsesGrant(ds []StepDecision) bool {
	return slices.ContainsFunc(ds, func(d StepDecision) bool {
		return d.Decision.Allowed && d.Decision.Via != "" && d.Decision.Via != "direct"
	})
}

// WithoutGrants returns the verdicts with each one that a grant allowed
// turned into a denial by rule: for a run whose inputs the grant does not
// allow (topLevel: only the playbook's own steps, whose grant that is), or
// that resumes from a report arsenal-run cannot vouch for (every step).
func WithoutGrants(ds []StepDecision, rule string, topLevel bool) []StepDecision {
	out := slices.Clone(ds)
	for i, d := range out {
		if !d.Decision.Allowed || d.Decision.Via == "" || d.Decision.Via == "direct" {
			continue
		}
		if topLevel && strings.Contains(d.Step, "/") {
			continue
		}
		out[i].Decision = Decision{Rule: rule, Via: d.Decision.Via, Params: true}
	}
	return out
}

// DirectOnly returns a subject with the same roles that never uses a
// grant, for its playbook or any sub-playbook: what a caller may do with
// data arsenal-run cannot vouch for, such as a report it cannot verify.
func (s *Subject) DirectOnly() *Subject {
	return &Subject{Roles: s.Roles, policy: s.policy, playbook: s.playbook, direct: s.direct,
		held: s.held, directOnly: true, GrantNote: s.GrantNote}
}

// FormatGrantInputs renders, for `validate`, how a grant treats each input
// of its runbook.
func FormatGrantInputs(s *Subject) string {
	rules := s.GrantInputs()
	if rules == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  inputs under the grant of %s:\n", s.Grant())
	if len(rules) == 0 {
		b.WriteString("    (the runbook has no inputs)\n")
	}
	for _, r := range rules {
		var what string
		switch r.By {
		case ByGrant, ByRunbook:
			what = fmt.Sprintf("callers may set it: %s (the %s's rule)", r.Rule, r.By)
			if r.Input.Secret {
				what = fmt.Sprintf("secret: callers may pass only what the %s's rule allows (not shown)", r.By)
			}
		case BySecret:
			what = "secret: callers may pass it"
		default:
			switch {
			case r.Input.Default != nil:
				what = "LOCKED: no rule constrains it, so callers may not set it; it keeps its default " + show(r.Input.Default)
			case r.Input.Required:
				what = "LOCKED and required: no rule constrains it, so the runbook cannot run under this grant until the grant or the runbook does"
			default:
				what = "LOCKED: no rule constrains it, so callers may not set it; it stays unset"
			}
		}
		fmt.Fprintf(&b, "    %-20s %s\n", r.Input.Name, what)
	}
	var declared []string
	for _, in := range s.playbook.Inputs {
		declared = append(declared, in.Name)
	}
	for _, name := range s.UnknownGrantInputs() {
		where := s.policy.File
		if pos, ok := s.grant.InputsAt[name]; ok {
			where = fmt.Sprintf("%s:%d:%d", s.policy.File, pos.Line, pos.Col)
		}
		fmt.Fprintf(&b, "    %-20s the grant constrains it, but the runbook declares no such input%s; rename it in inputs of the grant (%s) to an input the runbook declares, or remove it\n",
			name, suggest.DidYouMean(name, declared), where)
	}
	return b.String()
}

// show writes a value as JSON, cut to a readable length.
func show(v any) string {
	b, err := json.Marshal(v)
	s := string(b)
	if err != nil {
		s = fmt.Sprint(v)
	}
	if r := []rune(s); len(r) > 80 {
		s = string(r[:77]) + "..."
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
