package engine

import "slices"

// addSecret masks a secret value from now on, each of its scalar leaves
// (a list's elements are used one by one), in this run and in the
// operations and sub-runs it calls later.
func (r *run) addSecret(v any) { r.keepSecrets(r.red.AddValue(v)) }

// keepSecrets records secrets red already masks for the operations and
// sub-runs the run calls later. Steps add secrets concurrently.
func (r *run) keepSecrets(ss []string) {
	r.secMu.Lock()
	defer r.secMu.Unlock()
	r.secretV = append(r.secretV, ss...)
}

// secrets are the secrets masked so far; the caller may append to them.
func (r *run) secrets() []string {
	r.secMu.Lock()
	defer r.secMu.Unlock()
	return slices.Clip(r.secretV)
}
