package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"slices"
	"sync"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops/sandbox"
)

// A choice is the scope of an operation that several roles the caller
// holds allow, each with a scope of its own: a call must be allowed whole
// by one of them. Its paths, hosts, addresses and sandbox may not come
// from different roles, or a caller holding two roles could copy from one
// role's files into the other's, or reach one role's hosts with the other's
// network rules.
//
// The choice that Subject.Scope returns answers each question by any of
// the roles (preflight asks it so). A call gets its own with forCall, and
// each answer of that one narrows the roles left to those that allowed
// it: a question no role left allows is refused, even when a role dropped
// before would have allowed it.
type choice struct {
	alts []*Scope // the scopes of the roles that allow the operation, in the order held
	// live, in a call's choice, marks the roles still able to allow the
	// whole call; nil in the choice shared by the calls.
	mu   sync.Mutex
	live []bool
	// others are the reasons of the held roles that do not allow the
	// operation, for a denial to give.
	others []string
}

// newChoice returns the scope of an operation the scopes alts allow, each
// on its own; alts that allow the same make one scope. others are the
// reasons of the held roles that do not allow it.
func newChoice(alts []*Scope, others []string) *Scope {
	first := alts[0].Fingerprint()
	for _, a := range alts[1:] {
		if a.Fingerprint() != first {
			return &Scope{choice: &choice{alts: alts, others: others}}
		}
	}
	if len(alts) == 1 && len(others) == 0 {
		return alts[0]
	}
	// One scope, named after every role that gives it.
	one := *alts[0]
	one.owners.others = others
	for _, a := range alts[1:] {
		one.owners.roles = append(slices.Clip(one.owners.roles), a.owners.roles...)
	}
	return &one
}

// forCall returns the scope one call of an operation gets: the scope
// itself, or a fresh choice with every role still in it.
func (s *Scope) forCall() *Scope {
	if s == nil || s.choice == nil {
		return s
	}
	live := make([]bool, len(s.choice.alts))
	for i := range live {
		live[i] = true
	}
	return &Scope{choice: &choice{alts: s.choice.alts, live: live, others: s.choice.others}}
}

// narrow keeps the roles left for which allows returns nil, and returns
// nil when there is one; otherwise it keeps them all and returns the
// first role's error. The shared choice keeps nothing: it only says
// whether one of its roles allows.
func (c *choice) narrow(allows func(*Scope) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	kept := make([]bool, len(c.alts))
	anyKept := false
	for i, a := range c.alts {
		if c.live != nil && !c.live[i] {
			continue
		}
		if err := allows(a); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		kept[i], anyKept = true, true
	}
	if !anyKept {
		return first
	}
	if c.live != nil {
		copy(c.live, kept)
	}
	return nil
}

// left returns the scopes of the roles left.
func (c *choice) left() []*Scope {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Scope
	for i, a := range c.alts {
		if c.live == nil || c.live[i] {
			out = append(out, a)
		}
	}
	return out
}

func (c *choice) fingerprint() string {
	h := sha256.New()
	for _, a := range c.alts {
		h.Write([]byte(a.Fingerprint()))
		h.Write([]byte{0})
	}
	return "choice:" + hex.EncodeToString(h.Sum(nil))
}

// fileRoots are the roots of the roles left, for finding a path and for
// messages; UsePath narrows them to the roles whose roots hold a path.
func (c *choice) fileRoots() []string { return anyOf(c.left()).roots }

// UsePath narrows the roles left to those whose file roots hold path (an
// absolute, clean path) and returns their roots; when none does, it
// narrows nothing and returns the roots of the roles left, so that the
// path is refused naming them.
func (s *Scope) UsePath(path string) []string {
	if s.choice == nil {
		return s.FileRoots()
	}
	s.choice.narrow(func(a *Scope) error {
		roots := a.roots
		if roots == nil {
			roots = fsroot.Defaults()
		}
		_, err := fsroot.Locate(path, roots)
		return err
	})
	return s.choice.fileRoots()
}

func (c *choice) maySignalOthers() bool {
	return c.narrow(func(a *Scope) error {
		if a.signalOthers {
			return nil
		}
		return errDenied
	}) == nil
}

// sandboxRequirement is the tightest of the sandboxes the roles left
// require, nil when none does: a sandbox within it meets every one of
// them, so it narrows nothing, and a path checked after it may still lead
// to any of them. (AdmitSandbox has narrowed them to those the step's own
// sandbox: meets; a step with no sandbox: is left to the roles that
// require none.)
func (c *choice) sandboxRequirement() *sandbox.Limits {
	var req *sandbox.Limits
	for _, a := range c.left() {
		req = sandbox.Tightest(req, a.sandbox)
	}
	if req == nil {
		return nil
	}
	l := *req
	return &l
}

// AdmitSandbox checks a step's sandbox param against what the scope
// requires (see meetsSandbox), narrowing a choice to the roles it meets.
// It returns the requirement that was not met with the error.
func (s *Scope) AdmitSandbox(v any) (*sandbox.Limits, error) {
	if s.choice == nil {
		if s.sandbox == nil {
			return nil, nil
		}
		return s.SandboxRequirement(), meetsSandbox(v, s.sandbox)
	}
	var req *sandbox.Limits
	err := s.choice.narrow(func(a *Scope) error {
		if a.sandbox == nil {
			return nil
		}
		if err := meetsSandbox(v, a.sandbox); err != nil {
			if req == nil {
				req = a.SandboxRequirement()
			}
			return err
		}
		return nil
	})
	if err != nil {
		return req, err
	}
	return nil, nil
}

func (c *choice) allowDial(host string, ip net.IP) error {
	return c.narrow(func(a *Scope) error { return a.AllowDial(host, ip) })
}

func (c *choice) allowName(host string) error {
	return c.narrow(func(a *Scope) error { return a.AllowName(host) })
}

func (c *choice) allowHost(name string, groups, tags []string) error {
	return c.narrow(func(a *Scope) error { return a.AllowHost(name, groups, tags) })
}
