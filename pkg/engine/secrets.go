package engine

import (
	"slices"

	"github.com/arsenal-run/arsenal-run/internal/redact"
)

// addSecret masks a secret value from now on, each of its scalar leaves
// (a list's elements are used one by one), in this run and in the
// operations and sub-runs it calls later.
func (r *run) addSecret(v any) { r.keepSecrets(r.red.AddValue(v)) }

// maskCommands masks from now on the values of the "::add-mask::VALUE"
// lines of a call's process output (its stdout and stderr, and the
// error that quotes them), as GitHub Actions' runner does: the live
// output has masked them from their line on, and what the run writes
// of the output after the call (report, history, audit, events) masks
// them wherever they appear. A call that streams no output (a run
// without a log or events) has its values found here alone.
func (r *run) maskCommands(out map[string]any, err error) {
	var vs []string
	for _, k := range [...]string{"stdout", "stderr"} {
		if s, ok := out[k].(string); ok {
			vs = append(vs, redact.MaskCommands(s)...)
		}
	}
	if err != nil {
		vs = append(vs, redact.MaskCommands(err.Error())...)
	}
	for _, v := range vs {
		r.addMask(v)
	}
}

// addMask masks the value of an add-mask command from now on, unless it
// is masked already: a step may print the same command on every line.
func (r *run) addMask(v string) {
	if !r.red.Masks(v) {
		r.addSecret(v)
	}
}

// keepSecrets records secrets red already masks for the operations and
// sub-runs the run calls later. Steps add secrets concurrently.
func (r *run) keepSecrets(ss []string) {
	r.secMu.Lock()
	defer r.secMu.Unlock()
	r.secretV = append(r.secretV, ss...)
}

// learnSecrets masks from now on the secrets a sub-run masked (its
// secret inputs, its operations' secret outputs), which its outputs may
// carry to this run. Those this run already masks are not kept twice.
func (r *run) learnSecrets(ss []string) {
	r.secMu.Lock()
	defer r.secMu.Unlock()
	known := make(map[string]bool, len(r.secretV))
	for _, s := range r.secretV {
		known[s] = true
	}
	n := len(r.secretV)
	for _, s := range ss {
		if !known[s] {
			known[s] = true
			r.secretV = append(r.secretV, s)
		}
	}
	r.red.Add(r.secretV[n:]...)
}

// secrets are the secrets masked so far; the caller may append to them.
func (r *run) secrets() []string {
	r.secMu.Lock()
	defer r.secMu.Unlock()
	return slices.Clip(r.secretV)
}

// MaskedParams returns the call's params for a sink that shows them (an
// audit line, a span): the values of params the op declares secret (a
// webhook's URL, a password) as ***, the run's secrets masked in the
// others, in each http(s) URL among them the password and the values of
// token-like query parameters masked, as http.request reports them, and
// the values of credential headers (Authorization, Cookie) in headers.
// When the params came from a caller who could not mark a value secret
// (Step.CallerParams: an execute through the API), every value of env and
// every header value but a few plain ones (Accept, Content-Type) are
// masked too, their names kept.
func (c *Call) MaskedParams() map[string]any {
	p := make(map[string]any, len(c.Params))
	for k, v := range c.Params {
		if c.Entry != nil {
			if sp := c.Entry.Spec.Param(k); sp != nil && sp.Secret {
				v = "***"
			}
		}
		p[k] = v
	}
	given := c.Step != nil && c.Step.CallerParams
	if h, ok := p["headers"].(map[string]any); ok {
		if given {
			p["headers"] = redact.AllHeaders(h)
		} else {
			p["headers"] = redact.Headers(h)
		}
	}
	if env, ok := p["env"].(map[string]any); ok && given {
		p["env"] = redact.Values(env)
	}
	m, _ := redact.URLsIn(c.Mask(p)).(map[string]any)
	return m
}

// Mask returns v with the run's secrets masked, for sinks such as an audit
// log.
func (c *Call) Mask(v any) any {
	if c.run == nil {
		return v
	}
	return c.run.red.Value(v)
}

// HoldsSecret tells whether s holds a secret the run masks, in any form
// masking finds (exprsafe.SecretHolder).
func (r *run) HoldsSecret(s string) bool { return r.red.String(s) != s }
