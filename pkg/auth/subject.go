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
// rights, one set per role it holds, and the rules a policy grant
// delegates to that playbook.
type Subject struct {
	Roles      []string
	policy     *Policy
	playbook   *steps.Playbook
	direct     []*Role // every role held or inherited, for grants
	held       []held
	grant      *Grant
	grantRoles []*Role
	grantRules []rule
	grantScope *Scope
	// directOnly: no grant applies, here or in sub-playbooks.
	directOnly bool
	mu         sync.RWMutex
	first      *decided           // the first decision made
	decided    map[opRisk]verdict // the others
	// GrantNote explains why a grant that names the playbook did not apply.
	GrantNote string
}

// held is one role the caller holds, with everything it inherits: a role
// that inherits others is one role, whose rules and scopes combine (see
// newScope), but the roles a caller holds side by side are decided each
// on its own. An operation is allowed by a role that allows it, within
// that role's scope: a role's rules never reach another role's file
// roots, hosts or networks.
type held struct {
	role  string
	rules []rule
	scope *Scope
}

// Subject resolves roles for a run of pb. An unknown role is an error; no
// field of a playbook can add a role or a right. What the roles alone
// decide is built once per policy and role set (see roleSet).
func (p *Policy) Subject(roles []string, pb *steps.Playbook) (*Subject, error) {
	return p.subject(roles, pb, true)
}

// subject is Subject; shared says whether the role set may come from, and
// go to, the policy's remembered ones: not while the policy is still
// being loaded, when it is not yet what it will be.
func (p *Policy) subject(roles []string, pb *steps.Playbook, shared bool) (*Subject, error) {
	if len(roles) == 0 {
		roles = []string{DefaultRole}
	}
	var rs *roleSet
	var err error
	if shared {
		rs, err = p.roleSet(roles)
	} else {
		rs, err = p.newRoleSet(roles)
	}
	if err != nil {
		return nil, err
	}
	s := &Subject{Roles: roles, policy: p, playbook: pb, direct: rs.direct, held: rs.held}
	if pb != nil {
		g, why := p.grantFor(rs.direct, pb.AbsPath(), pb.SHA256)
		s.GrantNote = why
		if g != nil {
			gr, err := p.expand([]string{g.As})
			if err != nil {
				return nil, err
			}
			s.grant, s.grantRoles, s.grantRules, s.grantScope = g, gr, rulesOf(gr), newScope(gr).unsandboxing(p.unsandboxed)
			s.grantScope.owners = owners{roles: []string{g.As}, policy: p.File}
		}
	}
	return s, nil
}

type opRisk struct {
	op   string
	risk ops.Risk
}

// verdict is a decision and the scope an operation gets under it.
type verdict struct {
	d     Decision
	scope *Scope
}

// decided is a verdict remembered with its question. Most runs ask one
// question (a one-step run, a fan-out of one op), so the first is kept
// without a map.
type decided struct {
	key opRisk
	v   verdict
}

// Decide says whether the subject may run op at the given risk: by one of
// the roles it holds, or else by the playbook's grant. Decisions are
// remembered: a run asks the same question once per step or item.
func (s *Subject) Decide(op string, risk ops.Risk) Decision { return s.verdict(op, risk).d }

// Scope returns what op may touch at the given risk: the scope of the
// granted role when the grant allowed it, else the scope of the held
// roles that allow op (of all of them when none does, for the operations
// a denial still reads, such as the roots of a sub-playbook's path).
func (s *Subject) Scope(op string, risk ops.Risk) *Scope { return s.verdict(op, risk).scope }

func (s *Subject) verdict(op string, risk ops.Risk) verdict {
	key := opRisk{op, risk}
	s.mu.RLock()
	first := s.first
	v, ok := s.decided[key]
	s.mu.RUnlock()
	if first != nil && first.key == key {
		return first.v
	}
	if ok {
		return v
	}
	v = s.decide(op, risk)
	s.mu.Lock()
	switch {
	case s.first == nil:
		s.first = &decided{key, v}
	case s.first.key != key:
		if s.decided == nil {
			s.decided = map[opRisk]verdict{}
		}
		s.decided[key] = v
	}
	s.mu.Unlock()
	return v
}

func (s *Subject) decide(op string, risk ops.Risk) verdict {
	v := s.decideHeld(op, risk)
	if v.d.Allowed || s.grant == nil {
		if !v.d.Allowed && s.GrantNote != "" {
			v.d.Rule += "; " + s.GrantNote
		}
		return v
	}
	g := s.grantScope.limit(op, decide(s.grantRules, op, risk, []string{s.grant.As}))
	if g.Allowed {
		g.Via = fmt.Sprintf("playbook grant %s as %s", s.grant.Path, s.grant.As)
		return verdict{g, s.grantScope}
	}
	return v
}

// decideHeld decides op by the roles the caller holds, each on its own:
// the first that allows it decides, and the operation gets a choice among
// the scopes of the roles that allow it, so that each call is allowed
// whole by one of them. When none does, the denial gives each role's
// reason.
func (s *Subject) decideHeld(op string, risk ops.Risk) verdict {
	if len(s.held) == 1 {
		h := s.held[0]
		d := h.scope.limit(op, decide(h.rules, op, risk, s.Roles))
		d.Via = "direct"
		return verdict{d, h.scope}
	}
	var allowed Decision
	var scopes, all []*Scope
	var reasons []string
	for _, h := range s.held {
		d := h.scope.limit(op, decide(h.rules, op, risk, []string{h.role}))
		all = append(all, h.scope)
		if !d.Allowed {
			reasons = append(reasons, d.Rule)
			continue
		}
		if len(scopes) == 0 {
			allowed = d
		}
		scopes = append(scopes, h.scope)
	}
	if len(scopes) == 0 {
		return verdict{Decision{Rule: strings.Join(reasons, "; "), Via: "direct"}, anyOf(all)}
	}
	allowed.Via = "direct"
	return verdict{allowed, newChoice(scopes, reasons)}
}

// StepDecision is the preflight verdict on one step.
type StepDecision struct {
	Playbook string // the file the step is in
	Step     string // the step id; "parent/sub" for steps of sub-playbooks
	Section  steps.Section
	RescueOf string // the step a rescue step belongs to; "" for others
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
	return s.Preflight(reg, opts...)
}

// Preflight is Policy.Preflight for the roles and playbook s was made for,
// under s's policy: a caller that holds the subject already (a run being
// prepared) does not work it out twice. s must come from Policy.Subject
// with a non-nil playbook.
func (s *Subject) Preflight(reg *ops.Registry, opts ...PreflightOption) ([]StepDecision, error) {
	var o preflightOptions
	for _, f := range opts {
		f(&o)
	}
	var out []StepDecision
	err := s.policy.preflight(s, s.playbook, reg, "", map[string]bool{}, 0, &out, &o)
	return out, err
}

func (p *Policy) preflight(s *Subject, pb *steps.Playbook, reg *ops.Registry, prefix string, seen map[string]bool, depth int, out *[]StepDecision, o *preflightOptions) error {
	marked := false // pb is in seen: done at its first sub-playbook, as only they need it
	for _, st := range pb.AllSteps() {
		d := s.checkPaths(st, pb.Dir, s.checkAddress(st, s.checkSandbox(st, s.checkHost(st, deferredRiskNote(st, s.riskReasonNote(st.Op, st.Risk, st.RiskWhy, s.Decide(st.Op, st.Risk))), o.inv))))
		sd := StepDecision{Playbook: pb.File, Step: prefix + st.ID, Section: st.Section, Op: st.Op, Risk: st.Risk, Decision: d}
		if st.RescueOf != nil {
			sd.RescueOf = st.RescueOf.ID
		}
		*out = append(*out, sd)
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
			abs := pb.AbsPath()
			seen[abs] = true
			defer delete(seen, abs)
			marked = true
		}
		if seen[filepath.Clean(path)] || depth >= MaxSubDepth {
			continue // the run refuses recursion itself
		}
		sub, err := engine.LoadSubPlaybook(path, engine.SubPlaybookRoots(s.Scope(st.Op, st.Risk), pb.Dir), reg)
		if errors.Is(err, ops.ErrDenied) {
			// The caller may not read it: the step is denied, and nothing
			// of the file is read or shown.
			(*out)[len(*out)-1].Decision = Decision{Rule: "playbook.run: " + err.Error(), Via: d.Via, Params: true}
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
