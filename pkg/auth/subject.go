package auth

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Subject is a caller with roles, about to run one playbook: its direct
// rules, and the rules a policy grant delegates to that playbook.
type Subject struct {
	Roles      []string
	policy     *Policy
	playbook   *steps.Playbook
	direct     []*Role
	rules      []rule
	grant      *Grant
	grantRoles []*Role
	grantRules []rule
	scope      *Scope
	grantScope *Scope
	// directOnly: no grant applies, here or in sub-playbooks.
	directOnly bool
	mu         sync.RWMutex
	first      *decided            // the first decision made
	decided    map[opRisk]Decision // the others
	// GrantNote explains why a grant that names the playbook did not apply.
	GrantNote string
}

// Subject resolves roles for a run of pb. An unknown role is an error; no
// field of a playbook can add a role or a right.
func (p *Policy) Subject(roles []string, pb *steps.Playbook) (*Subject, error) {
	if len(roles) == 0 {
		roles = []string{DefaultRole}
	}
	direct, err := p.expand(roles)
	if err != nil {
		return nil, err
	}
	s := &Subject{Roles: roles, policy: p, playbook: pb, direct: direct, rules: rulesOf(direct), scope: newScope(direct)}
	if pb != nil {
		g, why := p.grantFor(direct, pb.File, pb.SHA256)
		s.GrantNote = why
		if g != nil {
			gr, err := p.expand([]string{g.As})
			if err != nil {
				return nil, err
			}
			s.grant, s.grantRoles, s.grantRules, s.grantScope = g, gr, rulesOf(gr), newScope(gr)
		}
	}
	return s, nil
}

type opRisk struct {
	op   string
	risk ops.Risk
}

// decided is a decision remembered with its question. Most runs ask
// one question (a one-step run, a fan-out of one op), so the first is
// kept without a map.
type decided struct {
	key opRisk
	d   Decision
}

// Decide says whether the subject may run op at the given risk: by its own
// roles, or else by the playbook's grant. Decisions are remembered: a run
// asks the same question once per step or item.
func (s *Subject) Decide(op string, risk ops.Risk) Decision {
	key := opRisk{op, risk}
	s.mu.RLock()
	first := s.first
	d, ok := s.decided[key]
	s.mu.RUnlock()
	if first != nil && first.key == key {
		return first.d
	}
	if ok {
		return d
	}
	d = s.decide(op, risk)
	s.mu.Lock()
	switch {
	case s.first == nil:
		s.first = &decided{key, d}
	case s.first.key != key:
		if s.decided == nil {
			s.decided = map[opRisk]Decision{}
		}
		s.decided[key] = d
	}
	s.mu.Unlock()
	return d
}

func (s *Subject) decide(op string, risk ops.Risk) Decision {
	d := decide(s.rules, op, risk, s.Roles)
	d.Via = "direct"
	d = s.scope.limit(op, d)
	if d.Allowed || s.grant == nil {
		if !d.Allowed && s.GrantNote != "" {
			d.Rule += "; " + s.GrantNote
		}
		return d
	}
	g := s.grantScope.limit(op, decide(s.grantRules, op, risk, []string{s.grant.As}))
	if g.Allowed {
		g.Via = fmt.Sprintf("playbook grant %s as %s", s.grant.Path, s.grant.As)
		return g
	}
	return d
}

// Scope returns what the operations may touch under a decision: the scope
// of the granted role when the grant allowed it, else of the caller's
// roles.
func (s *Subject) Scope(d Decision) *Scope {
	if d.Via != "direct" && s.grant != nil {
		return s.grantScope
	}
	return s.scope
}

// StepDecision is the preflight verdict on one step.
type StepDecision struct {
	Playbook string // the file the step is in
	Step     string // the step id; "parent/sub" for steps of sub-playbooks
	Section  steps.Section
	Op       string
	Risk     ops.Risk
	Decision Decision
}

// MaxSubDepth bounds how deep preflight follows playbook.run.
const MaxSubDepth = 8

// Preflight checks every step of pb (steps, on_failure and finally) and of
// the sub-playbooks reachable through playbook.run with a literal path,
// the literal host of ssh.* steps included (see WithInventory). It returns
// every verdict; the run may start only when all are allowed.
func (p *Policy) Preflight(roles []string, pb *steps.Playbook, reg *ops.Registry, opts ...PreflightOption) ([]StepDecision, error) {
	s, err := p.Subject(roles, pb)
	if err != nil {
		return nil, err
	}
	var o preflightOptions
	for _, f := range opts {
		f(&o)
	}
	var out []StepDecision
	err = p.preflight(s, pb, reg, "", map[string]bool{}, 0, &out, &o)
	return out, err
}

func (p *Policy) preflight(s *Subject, pb *steps.Playbook, reg *ops.Registry, prefix string, seen map[string]bool, depth int, out *[]StepDecision, o *preflightOptions) error {
	marked := false // pb is in seen: done at its first sub-playbook, as only they need it
	for _, st := range pb.AllSteps() {
		d := s.checkSandbox(st, s.checkHost(st, deferredRiskNote(st, s.Decide(st.Op, st.Risk)), o.inv))
		*out = append(*out, StepDecision{Playbook: pb.File, Step: prefix + st.ID, Section: st.Section, Op: st.Op, Risk: st.Risk, Decision: d})
		if st.Op != "playbook.run" || st.Params == nil || reg == nil {
			continue
		}
		path := st.Params.String("path")
		if path == "" {
			continue
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(pb.Dir, path)
		}
		if !marked {
			abs, _ := filepath.Abs(pb.File)
			seen[abs] = true
			defer delete(seen, abs)
			marked = true
		}
		if seen[filepath.Clean(path)] || depth >= MaxSubDepth {
			continue // the run refuses recursion itself
		}
		sub, err := engine.LoadSubPlaybook(path, engine.SubPlaybookRoots(s.Scope(d), pb.Dir), reg)
		if errors.Is(err, ops.ErrDenied) {
			// The caller may not read it: the step is denied, and nothing
			// of the file is read or shown.
			(*out)[len(*out)-1].Decision = Decision{Rule: "playbook.run: " + err.Error(), Via: d.Via}
			continue
		}
		if err != nil {
			return fmt.Errorf("step %s: sub-playbook %s: %w", st.ID, path, err)
		}
		// A sub-playbook runs with the caller's own roles, plus a grant
		// only when the policy pins that sub-playbook itself.
		ss, err := p.Subject(s.Roles, sub)
		if err != nil {
			return err
		}
		if err := p.preflight(ss, sub, reg, prefix+st.ID+"/", seen, depth+1, out, o); err != nil {
			return err
		}
	}
	return nil
}

// Denied returns the denied verdicts.
func Denied(ds []StepDecision) []StepDecision {
	var out []StepDecision
	for _, d := range ds {
		if !d.Decision.Allowed {
			out = append(out, d)
		}
	}
	return out
}

// FormatDecisions renders a table of verdicts for `validate --role`.
func FormatDecisions(ds []StepDecision) string {
	var b strings.Builder
	for _, d := range ds {
		verdict := "allowed"
		if !d.Decision.Allowed {
			verdict = "DENIED "
		}
		via := ""
		if d.Decision.Via != "" && d.Decision.Via != "direct" {
			via = " via " + d.Decision.Via
		}
		fmt.Fprintf(&b, "  %s  %-24s %-20s %-11s %s%s\n", verdict, d.Step, d.Op, d.Risk, d.Decision.Rule, via)
	}
	return b.String()
}
