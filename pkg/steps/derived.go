package steps

import "sync"

// maxDerived bounds how many things a playbook keeps for its runners (see
// Playbook.Derived): a key that varies with each request is then made
// every time rather than kept without end.
const maxDerived = 16

// derived holds what runners derive from a loaded playbook. owner is the
// playbook it was made for: a copy of a Playbook value keeps nothing.
type derived struct {
	owner *Playbook
	mu    sync.Mutex
	byKey map[any]any
}

// Derived returns what make derives from the playbook for key, made once
// and kept for as long as the playbook is: the engine's plan, say, that a
// playbook scheduled every second would otherwise be planned again for
// each run. A playbook loaded again (a reload) keeps its own. key must be
// comparable and say everything the result depends on besides the
// playbook. A Playbook not made by Load or Parse, or a copy of one, keeps
// nothing: make is called each time. Safe for concurrent use; make is
// called at most once per key, with a lock held.
func (p *Playbook) Derived(key any, make func() any) any {
	d := p.derived
	if d == nil || d.owner != p {
		return make()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.byKey[key]; ok {
		return v
	}
	v := make()
	if d.byKey == nil {
		d.byKey = map[any]any{}
	}
	if len(d.byKey) < maxDerived {
		d.byKey[key] = v
	}
	return v
}
