package auth

import (
	"encoding/binary"
	"slices"
	"sync"
)

// roleSet is what a Subject's rights owe to its roles alone, the same for
// every playbook: the roles held and inherited (for grants) and each held
// role's rules and scope. Nothing in it changes once built, so Subjects
// share it; a Subject's own decisions and grant are its own.
type roleSet struct {
	direct []*Role
	held   []held
}

// roleSets remembers the role sets of a policy's callers, so that each
// execute does not expand its roles again. It lives in its Policy: a
// reloaded policy is a new Policy and starts empty. A copy of a Policy
// value, or one built without Builtin or ParsePolicy, remembers nothing.
type roleSets struct {
	owner *Policy
	mu    sync.RWMutex
	m     map[string]*roleSet
}

// maxRoleSets bounds how many role sets a policy remembers. Role sets come
// from keys and tokens, a few per server; past the bound they are built
// on each call, as they were before.
const maxRoleSets = 256

// roleSet returns the role set of roles, built once per policy. roles is
// not empty. An unknown role is an error, never remembered.
func (p *Policy) roleSet(roles []string) (*roleSet, error) {
	if p.sets == nil || p.sets.owner != p {
		return p.newRoleSet(roles)
	}
	var buf [128]byte
	key := roleSetKey(buf[:0], roles)
	p.sets.mu.RLock()
	rs := p.sets.m[string(key)]
	p.sets.mu.RUnlock()
	if rs != nil {
		return rs, nil
	}
	rs, err := p.newRoleSet(roles)
	if err != nil {
		return nil, err
	}
	p.sets.mu.Lock()
	defer p.sets.mu.Unlock()
	if old := p.sets.m[string(key)]; old != nil {
		return old, nil
	}
	if len(p.sets.m) < maxRoleSets {
		if p.sets.m == nil {
			p.sets.m = map[string]*roleSet{}
		}
		p.sets.m[string(key)] = rs
	}
	return rs, nil
}

// roleSetKey names roles in order, each with its length first, so that no
// two lists share a key whatever their names hold.
func roleSetKey(buf []byte, roles []string) []byte {
	for _, r := range roles {
		buf = binary.AppendUvarint(buf, uint64(len(r)))
		buf = append(buf, r...)
	}
	return buf
}

// newRoleSet builds the role set of roles.
func (p *Policy) newRoleSet(roles []string) (*roleSet, error) {
	direct, err := p.expand(roles)
	if err != nil {
		return nil, err
	}
	rs := &roleSet{direct: slices.Clip(direct)}
	for _, name := range roles {
		if slices.ContainsFunc(rs.held, func(h held) bool { return h.role == name }) {
			continue
		}
		inherited, err := p.expand([]string{name})
		if err != nil {
			return nil, err
		}
		scope := newScope(inherited).unsandboxing(p.unsandboxed)
		scope.owners = owners{roles: []string{name}, policy: p.File}
		rs.held = append(rs.held, held{role: name, rules: slices.Clip(rulesOf(inherited)), scope: scope})
	}
	rs.held = slices.Clip(rs.held)
	return rs, nil
}
