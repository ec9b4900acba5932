package runs

// A run started through the API holds secrets its caller may never see: a
// secret input filled from the server's environment, a file or its
// default, a variable of the server's environment an expression reads, an
// operation's secret output, and those of the sub-playbooks it runs. An
// input the caller chooses freely must not decide where such a run
// connects, or the caller could send those secrets to a host of theirs.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// aimedKey keys, in Playbook.Derived, where a playbook's inputs aim.
type aimedKey struct{}

// aimed is where each input of a playbook aims and what else a run holds
// (auth.AimOf); stale says the file no longer has the bytes the playbook
// was loaded from, so that neither can be told.
type aimed struct {
	auth.Aim
	stale bool
}

// aimedInputs returns where pb's inputs are used as an address, made once
// per loaded playbook; for one that runs sub-playbooks, made again when
// one of their files no longer reads as it did (auth.Aim.Current), as
// they may change while pb stays loaded.
func (s *Service) aimedInputs(pb *steps.Playbook) aimed {
	c := pb.Derived(aimedKey{}, func() any {
		c := &aimCache{}
		a := s.readAim(pb)
		c.cur.Store(&a)
		return c
	}).(*aimCache)
	a := c.cur.Load()
	if !a.Subs || a.Current() {
		return *a
	}
	n := s.readAim(pb)
	c.cur.Store(&n)
	return n
}

// aimCache holds a loaded playbook's aimed, replaced when its
// sub-playbooks change.
type aimCache struct {
	cur atomic.Pointer[aimed]
}

func (s *Service) readAim(pb *steps.Playbook) aimed {
	data, err := os.ReadFile(pb.AbsFile)
	sum := sha256.Sum256(data)
	if err != nil || hex.EncodeToString(sum[:]) != pb.SHA256 {
		return aimed{stale: true}
	}
	names := make([]string, len(pb.Inputs))
	for i, in := range pb.Inputs {
		names[i] = in.Name
	}
	return aimed{Aim: auth.AimOf(s.cfg.Registry, pb.AbsFile, data, names)}
}

// checkAimedInputs denies, for a run started through the API, each step
// that connects to an address an input decides (itself, or through a
// sub-playbook it runs), when the caller set that input to a value of
// their choosing (no enum, min, max or pattern in the playbook bounds it)
// and the run holds a secret the caller did not give (heldSecrets). A run
// under a grant is left to the grant, which pins the inputs a caller may
// set.
func (s *Service) checkAimedInputs(p *prepared) {
	req, pb := p.req, p.plan.Playbook()
	if req.Caller.Trigger != TriggerAPI || pb.AbsFile == "" || auth.UsesGrant(p.decisions) {
		return
	}
	given := func(name string) bool {
		_, a := req.Inputs[name]
		_, b := req.InputText[name]
		return a || b
	}
	var chosen, held []string
	for _, in := range pb.Inputs {
		v, set := p.inputs[in.Name]
		switch {
		case !given(in.Name):
			if in.Secret && set && v != nil && v != "" {
				held = append(held, in.Name)
			}
		case in.Constraint.IsZero() && !reflect.DeepEqual(v, in.Default):
			chosen = append(chosen, in.Name)
		}
	}
	if len(chosen) == 0 {
		return
	}
	a := s.aimedInputs(pb)
	var secrets []string
	switch len(held) {
	case 0:
	case 1:
		secrets = append(secrets, "secret input "+held[0])
	default:
		secrets = append(secrets, "secret inputs "+strings.Join(held, ", "))
	}
	if !a.stale {
		secrets = append(secrets, heldSecrets(a.Held, p.env, pb.File)...)
	}
	if len(secrets) == 0 {
		return
	}
	what := andList(secrets)
	give := ""
	if len(held) > 0 {
		give = "give " + strings.Join(held, ", ") + " yourself, "
	}
	var rules []string
	deny := map[string]string{}
	for _, name := range chosen {
		var rule string
		if a.stale {
			rule = fmt.Sprintf("input %s was set by the caller, and the run holds %s that the caller did not give; playbook file %s changed since it was loaded, so where the input leads cannot be checked: reload the server (SIGHUP), or leave %s at its default",
				name, what, pb.File, name)
		} else if u, ok := a.Uses[name]; ok {
			rule = fmt.Sprintf("input %s, set by the caller to a value no enum or pattern bounds, is %s%s (%s, %s:%d:%d), and the run holds %s that the caller did not give, so the caller could send it anywhere; %sleave %s at its default, or bound %s in the playbook with an enum or a pattern (like pattern: \"^https://hooks\\\\.example\\\\.com/\")",
				name, u.Leads(), u.Via, u.Where, aimFile(pb.File, u.File), u.Line, u.Col, what, give, name, name)
			deny[u.Step] = rule
		} else {
			continue
		}
		rules = append(rules, rule)
	}
	if len(rules) == 0 {
		return
	}
	p.decisions = slices.Clone(p.decisions)
	for i, d := range p.decisions {
		if !d.Decision.Allowed || strings.Contains(d.Step, "/") {
			continue
		}
		rule, ok := deny[d.Step]
		if !ok && !a.stale && len(deny) > 0 && stepIn(p.decisions, deny) {
			continue
		}
		if !ok {
			rule = rules[0]
		}
		p.decisions[i].Decision = auth.Decision{Rule: rule, Via: d.Decision.Via, Params: true, Shape: true}
	}
	sort.Strings(rules)
	p.refusal += strings.Join(rules, "\n") + "\n"
}

// stepIn reports whether one of the steps of deny has a decision in ds:
// when none has (a step id the file's text and the loaded playbook name
// apart), every step is denied instead.
func stepIn(ds []auth.StepDecision, deny map[string]string) bool {
	for _, d := range ds {
		if _, ok := deny[d.Step]; ok {
			return true
		}
	}
	return false
}
