package runs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// groupLookupBound bounds the history read that tells who started a run
// of another process, so that a store that does not answer refuses the
// cancel instead of holding the run.
const groupLookupBound = 5 * time.Second

// mayCancel returns the judge of acquireGroup for run h, prepared as p:
// why h's caller may not stop another run of its group, or "". The rule
// is the API's for a cancel: the caller that started the other run (the
// same trigger, name and roles), or one whose roles could have started
// it, with its inputs, by the policy h runs under. Otherwise a viewer's
// read-only playbook naming an admin's group would cancel the admin's
// deploy, which the viewer may not cancel directly.
func (m *Manager) mayCancel(h *Handle, p *prepared) func(run string) string {
	by := h.Caller()
	return func(run string) string {
		if o, ok := m.Get(run); ok {
			if sameCaller(by, o.Caller().Trigger, o.Caller().Name, o.Caller().Roles) {
				return ""
			}
			pb := o.RunPlaybook()
			if pb == nil {
				return "its playbook is not known here"
			}
			return couldStart(by, m.svc.MayActOn(p.policy, by.Roles, pb, o.Inputs()))
		}
		return m.svc.mayCancelElsewhere(by, p, run)
	}
}

// whoQueued is who started a run of a group's line, as its place in the
// store records it (groupWho) for the other processes of the store.
type whoQueued struct {
	Trigger Trigger        `json:"trigger"`
	Name    string         `json:"name"`
	Roles   []string       `json:"roles"`
	Path    string         `json:"path"`
	SHA256  string         `json:"sha256"`
	Inputs  map[string]any `json:"inputs,omitempty"`
}

// maxWhoInputs bounds the inputs a place records: a run whose inputs are
// longer records none, and only a caller who needs no grant to start it
// (or its starter) may stop it.
const maxWhoInputs = 64 << 10

// groupWho is what a run's place in its group's line records of who
// started it: the caller and the playbook, with the inputs masked as the
// run's report shows them.
func groupWho(p *prepared, c Caller) string {
	pb := p.plan.Playbook()
	w := whoQueued{Trigger: c.Trigger, Name: c.Name, Roles: c.Roles, Path: pb.File, SHA256: pb.SHA256,
		Inputs: engine.MaskInputs(pb, p.inputs, inputSecrets(pb, p.inputs))}
	b, err := json.Marshal(w)
	if err != nil || len(b) > maxWhoInputs {
		w.Inputs = nil
		b, _ = json.Marshal(w)
	}
	return string(b)
}

// mayCancelElsewhere judges a run of another process by what its place in
// the group's line records (groupWho) and its playbook file as it was when
// it was queued. Without a store the groups are lock files of this OS
// user's alone, whose runs are all its own.
func (s *Service) mayCancelElsewhere(by Caller, p *prepared, run string) string {
	if s.store == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupLookupBound)
	defer cancel()
	raw, ok, err := s.store.GroupWho(ctx, p.group, run)
	switch {
	case err != nil:
		return fmt.Sprintf("who started it cannot be read: %v", err)
	case !ok:
		return "" // it left the line: there is nothing to stop
	case raw == "":
		return "it was queued by an earlier version of arsenal-run, which does not record who started it"
	}
	var w whoQueued
	if err := json.Unmarshal([]byte(raw), &w); err != nil {
		return fmt.Sprintf("who started it cannot be read: %v", err)
	}
	if sameCaller(by, w.Trigger, w.Name, w.Roles) {
		return ""
	}
	pb, err := steps.Load(w.Path, s.cfg.Registry)
	switch {
	case err != nil:
		return fmt.Sprintf("its playbook %s cannot be read here: %v", w.Path, err)
	case pb.SHA256 != w.SHA256:
		return fmt.Sprintf("its playbook %s changed since it was started", w.Path)
	}
	return couldStart(by, s.MayActOn(p.policy, by.Roles, pb, w.Inputs))
}

// sameCaller reports whether by started a run of trigger, name and
// roles: a scheduler, or a key, of other roles is another caller.
func sameCaller(by Caller, trigger Trigger, name string, roles []string) bool {
	if trigger == "" {
		trigger = TriggerCLI
	}
	return by.Trigger == trigger && name != "" && by.Name == name &&
		slices.Equal(slices.Sorted(slices.Values(by.Roles)), slices.Sorted(slices.Values(roles)))
}

func couldStart(by Caller, why string) string {
	if why == "" {
		return ""
	}
	return fmt.Sprintf("%s did not start it and could not have started it: %s", by.Name, why)
}
