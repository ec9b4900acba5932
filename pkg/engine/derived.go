package engine

import (
	"context"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// A playbook's expression may make a new text of a secret: upper(token),
// replace(token, "-", ""), split(token, ":")[1], toBase64(user + ":" +
// token). Masking the secret does not find that text, so a value made of
// a secret is masked from then on as a secret of the run, as a step's
// ::add-mask:: would mask it: any of its texts
// of MinDerivedSecret bytes or more, when something it was made of
// (steps.Expr.Flow) holds a secret.

const (
	// MinDerivedSecret is the fewest bytes of a value made of a secret
	// that is masked: a shorter piece (the "ghp" of split(token, "_")[0])
	// would be found by chance in unrelated text, which masking it would
	// hide. It is the length from which masking finds a secret inside
	// base64 (redact.MinEmbedded).
	MinDerivedSecret = redact.MinEmbedded
	// MaxDerivedSecret is the longest text of a value made of a secret
	// that is masked: a longer one (a whole output a secret was replaced
	// in) is most likely text of its own, and would cost every later
	// masking its length.
	MaxDerivedSecret = 4 << 10
	// MaxDerivedSecrets is how many values made of secrets a run masks,
	// its sub-runs' counted with its own; those made after (a fan-out
	// making one per item) are not masked, so that the run's masking
	// stays bounded.
	MaxDerivedSecrets = 256
	// maxReadLeaves is how many texts of what an expression read are
	// looked at for a secret.
	maxReadLeaves = 1024
	// maxReadText is the longest read text searched for a secret inside
	// it; a longer one counts when it is a secret whole.
	maxReadText = 64 << 10
)

// deriveSecrets masks from now on the texts of v, the value of e, that
// are made of a secret of the run that env (with exprsafe.ContextVar)
// evaluates in.
func deriveSecrets(e *steps.Expr, env map[string]any, v any) {
	if e.Flow == nil {
		return
	}
	ctx, _ := env[exprsafe.ContextVar].(context.Context)
	r, _ := exprsafe.SecretsIn(ctx).(*run)
	if r == nil || r.red.Empty() {
		return
	}
	r.derive(e.Flow, env, v)
}

// derive masks the texts of v made of a secret, as f tells what v is made
// of: of a list or a map the expression wrote out, each item or value by
// what it is made of.
func (r *run) derive(f *exprsafe.Flow, env map[string]any, v any) {
	if f == nil {
		return
	}
	switch x := v.(type) {
	case []any:
		if f.Items != nil && len(f.Items) == len(x) {
			for i, it := range x {
				r.derive(f.Items[i], env, it)
			}
			return
		}
	case map[string]any:
		if f.Keys != nil && len(f.Keys) == len(x) {
			for k, it := range x {
				r.derive(f.Keys[k], env, it)
			}
			return
		}
	}
	var texts []string
	eachText(v, maxReadLeaves, func(s string) {
		if len(s) >= MinDerivedSecret && len(s) <= MaxDerivedSecret && !r.red.Masks(s) {
			texts = append(texts, s)
		}
	})
	if len(texts) == 0 || !r.readsSecret(f.Reads, env) {
		return
	}
	for _, s := range texts {
		// A text that holds a secret as it is ("Bearer " + token) is
		// masked where the secret is; the rest of it is not the secret's.
		if !r.holdsRawSecret(s) {
			r.addDerived(s)
		}
	}
}

// holdsRawSecret tells whether s holds, as it is, a secret of the run of
// MinDerivedSecret bytes or more.
func (r *run) holdsRawSecret(s string) bool {
	for _, v := range r.secrets() {
		if len(v) >= MinDerivedSecret && strings.Contains(s, v) {
			return true
		}
	}
	return false
}

// readsSecret tells whether what one of the paths names in env holds a
// secret the run masks.
func (r *run) readsSecret(reads [][]string, env map[string]any) bool {
	for _, p := range reads {
		found := false
		eachText(lookup(env, p), maxReadLeaves, func(s string) {
			if !found && (r.red.Masks(s) || len(s) <= maxReadText && r.HoldsSecret(s)) {
				found = true
			}
		})
		if found {
			return true
		}
	}
	return false
}

// addDerived masks s, a value made of a secret, unless the run and its
// sub-runs mask MaxDerivedSecrets such values already: a caller learns
// what its sub-runs mask (learnSecrets), so a count of each sub-run's own
// would let a fan-out of them mask that many for each item.
func (r *run) addDerived(s string) {
	for {
		n := r.derived.Load()
		if n >= MaxDerivedSecrets {
			return
		}
		if r.derived.CompareAndSwap(n, n+1) {
			break
		}
	}
	r.addSecret(s)
}

// lookup returns what path names in env: a map's value by key, a list's
// item by index; nil when there is none.
func lookup(env map[string]any, path []string) any {
	var v any = env
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case map[string]*steps.StepState:
			if st := x[k]; st != nil {
				v = st
			} else {
				return nil
			}
		case *steps.StepState:
			v = stateField(k, x.Output, x.Error, x.Items, x.Reason)
		case []steps.ItemState:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = &x[i]
		case *steps.ItemState:
			v = stateField(k, x.Output, x.Error, nil, "")
			if k == "item" {
				v = x.Item
			}
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// stateField is the field k of a step's or an item's state, of those that
// may hold a secret; nil for any other.
func stateField(k string, output any, e steps.ErrorState, items []steps.ItemState, reason string) any {
	switch k {
	case "output":
		return output
	case "error":
		return map[string]any{"message": e.Message}
	case "items":
		return items
	case "reason":
		return reason
	}
	return nil
}

// eachText calls fn with the strings of plain data v, at most limit of
// them.
func eachText(v any, limit int, fn func(string)) {
	n := 0
	var walk func(v any)
	walk = func(v any) {
		if n >= limit {
			return
		}
		switch x := v.(type) {
		case string:
			n++
			fn(x)
		case []any:
			for _, it := range x {
				walk(it)
			}
		case map[string]any:
			for _, it := range x {
				walk(it)
			}
		case *steps.StepState:
			walk(x.Output)
			walk(x.Error.Message)
			walk(x.Items)
		case []steps.ItemState:
			for i := range x {
				walk(&x[i])
			}
		case *steps.ItemState:
			walk(x.Item)
			walk(x.Output)
			walk(x.Error.Message)
		case map[string]*steps.StepState:
			for _, st := range x {
				if st != nil {
					walk(st)
				}
			}
		}
	}
	walk(v)
}
