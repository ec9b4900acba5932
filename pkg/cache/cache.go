// Package cache answers steps that set cache: from the state dir's result
// cache. It is a middleware of the engine's call chain, installed by the run
// service: inside authorization (a hit is still authorized) and outside
// retry (a hit makes no attempt, and only a final success is stored).
//
// Entries live in the store (history.CacheEntry): every run and every
// process that shares the state dir, or the PostgreSQL database, shares
// them. A key is an HMAC, under a key kept in the state dir, of the operation and
// either its resolved parameters or the step's cache.key; parameters are
// never stored, and an output that holds a secret of the run is not stored
// at all. An entry that does not decode is a miss, never an error, and so
// is a cache that cannot be read: the operation simply runs.
package cache

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/jsonx"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Store keeps the entries: the SQLite history of a state dir or the
// PostgreSQL store (both are a store.Store). See history.Store for the
// contract of each method.
type Store interface {
	CacheGet(ctx context.Context, key string, now time.Time) (history.CacheEntry, bool, error)
	CachePut(ctx context.Context, e history.CacheEntry) error
	CacheDelete(ctx context.Context, key string) error
}

// Config is what the middleware needs.
type Config struct {
	Store Store
	// Secret keys the entry keys (derived from the state dir's report key);
	// nil falls back to plain SHA-256.
	Secret []byte
	// Policy says which write operations may be cached; nil: read only.
	Policy *auth.Policy
	// Namespace returns, for the playbook a call belongs to, what keeps
	// its entries apart from every other playbook's: the grant a run of
	// it uses (see auth.Policy.CacheNamespace), "" when it uses none and
	// shares entries by key. Nil: no playbook has one.
	Namespace func(*steps.Playbook) string
	// Now tells the time; nil is time.Now.
	Now func() time.Time
	// Warn receives problems with the cache itself; nil discards them.
	Warn func(format string, args ...any)
}

// Middleware returns the engine middleware that serves and fills the
// cache for steps that have a cache: setting; other calls pass through.
func Middleware(cfg Config) engine.Middleware {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Warn == nil {
		cfg.Warn = func(string, ...any) {}
	}
	if cfg.Secret != nil {
		m := hmac.New(sha256.New, cfg.Secret)
		m.Write([]byte("arsenal-run result cache"))
		cfg.Secret = m.Sum(nil)
	}
	return func(next engine.Handler) engine.Handler {
		return func(ctx context.Context, c *engine.Call) (map[string]any, error) {
			s := c.Step
			if s.Cache == nil || cfg.Store == nil {
				return next(ctx, c)
			}
			if risk := c.Entry.RiskFor(c.Params); !cfg.Policy.CacheAllowed(s.Op, risk) {
				return nil, ops.Errorf(ops.ClassValidation, "step %s: %s", s.ID, auth.CacheRefusal(s.Op, risk))
			}
			ns := ""
			if cfg.Namespace != nil {
				ns = cfg.Namespace(c.Playbook())
			}
			key, err := Key(ctx, c, cfg.Secret, ns)
			if err != nil {
				return nil, err
			}
			now := cfg.Now()
			e, ok, err := cfg.Store.CacheGet(ctx, key, now)
			if err != nil {
				cfg.Warn("cache: %v; step %s runs uncached", err, s.ID)
			}
			if ok {
				out, derr := Decode(e.Output)
				switch {
				case derr != nil:
					c.Log.Warn().Msg("cache entry does not decode; treated as a miss")
					if err := cfg.Store.CacheDelete(context.WithoutCancel(ctx), key); err != nil {
						cfg.Warn("cache: %v", err)
					}
				case !satisfies(c, out):
					// Kept by a step without this one's until (or by this
					// one's earlier attempt of a poll): run it.
					c.Log.Info().Msg("cache entry fails the step's until; treated as a miss")
				default:
					c.Cached, c.CacheAge = true, max(now.Sub(e.CreatedAt), 0)
					c.Log.Info().Int64("age_ms", c.CacheAge.Milliseconds()).Msg("cache hit")
					return out, nil
				}
			}
			out, err := next(ctx, c)
			if err != nil || c.Abandoned || out == nil {
				return out, err
			}
			if c.Step.Repeat != nil && !satisfies(c, out) {
				// An attempt of a poll (repeat) whose until is still false:
				// only the result it waits for is worth keeping. (Outside
				// repeat, retry has checked its until on this output.)
				c.Log.Info().Str("reason", "the step's until is false").Msg("result not cached")
				return out, nil
			}
			if c.DryRun() && c.Entry.RiskFor(c.Params) != ops.RiskRead {
				// A sub-playbook run dry: its writes never happened, and an
				// entry would let a real run skip them.
				c.Log.Info().Str("reason", "a dry run did not execute the operation's writes").Msg("result not cached")
				return out, nil
			}
			data, why := encode(c, out)
			if why != "" {
				c.Log.Info().Str("reason", why).Msg("result not cached")
				return out, nil
			}
			put := history.CacheEntry{Key: key, Op: s.Op, Playbook: c.PlaybookName(), Step: c.ItemPath(),
				Output: data, CreatedAt: now, ExpiresAt: now.Add(s.Cache.TTL)}
			if err := cfg.Store.CachePut(context.WithoutCancel(ctx), put); err != nil {
				cfg.Warn("cache: step %s: %v", s.ID, err)
			}
			return out, nil
		}
	}
}

// satisfies reports whether out meets the step's retry.until and
// repeat.until; an until that cannot be evaluated on it fails.
func satisfies(c *engine.Call, out map[string]any) bool {
	ok, err := c.Satisfies(out)
	return ok && err == nil
}

// encode turns an output into the entry's JSON, or says why it must not be
// stored: it holds a secret of the run or an output the op marks secret, or
// it is not plain data.
func encode(c *engine.Call, out map[string]any) (json.RawMessage, string) {
	for _, k := range c.Entry.Spec.SecretOutputs {
		if _, ok := out[k]; ok {
			return nil, "the output has a secret field (" + k + ")"
		}
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, "the output is not plain data: " + err.Error()
	}
	masked, err := json.Marshal(c.Mask(out))
	if err != nil || !bytes.Equal(data, masked) {
		return nil, "the output holds a secret of the run"
	}
	if len(data) > history.MaxCacheOutput {
		return nil, fmt.Sprintf("the output is %d bytes of JSON, over the cache's limit of %d", len(data), history.MaxCacheOutput)
	}
	return data, ""
}

// Decode reads an entry's output: a JSON object whose whole numbers come
// back as int and the others as float64, as operations return them.
func Decode(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the output")
	}
	m, ok := jsonx.Numbers(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the output is not an object")
	}
	return m, nil
}

// Targeter is implemented by operations whose parameters name something
// the call resolves when it runs, such as a host that an inventory turns
// into an address, a login and keys (the ssh.* operations): the same
// parameters reach another machine once the inventory says so.
// CacheTarget returns, as plain data, what p resolves to for a call with
// ctx (the run's own inventory, say); the cache puts it in the key of
// each call, so that an answer kept for one machine is never given for
// another. It must not fail: what cannot be resolved is data too.
type Targeter interface {
	CacheTarget(ctx context.Context, p ops.Params) any
}

// Key is the cache key of a call: an HMAC under secret (SHA-256 without
// one) of the op, the caller's scope and roles, and either the step's cache.key,
// evaluated for this call, or the resolved parameters and the directory
// relative paths resolve against, in canonical JSON with the values of
// secret parameters replaced by their hashes. The scope is in every key:
// the file roots, networks and hosts a role may reach are checked by the
// operation, which a hit does not run, so callers of different scopes
// never share an entry. A namespace ("" for none) keeps the entries of a
// playbook run under a grant to that playbook and grant: a caller who may
// write an entry by its cache.key must not steer what the granted
// playbook does with it, nor read what the grant let it find. An
// operation that is an ops.CacheKeyer adds what its answer depends on
// besides its params, such as the environment variables a plugin gets,
// and one that is a Targeter what its params resolve to in ctx.
func Key(ctx context.Context, c *engine.Call, secret []byte, namespace string) (string, error) {
	material := map[string]any{"op": c.Step.Op}
	if s, ok := c.Scope.(interface{ Fingerprint() string }); ok {
		material["scope"] = s.Fingerprint()
	}
	// The roles too: a role of the same scope with fewer rights (read
	// only, say) must not choose, through a shared cache.key, what a more
	// trusted role's step gets.
	if len(c.Roles) > 0 {
		roles := slices.Clone(c.Roles)
		slices.Sort(roles)
		material["roles"] = slices.Compact(roles)
	}
	if namespace != "" {
		material["namespace"] = namespace
	}
	// The host: replicas on several hosts share a PostgreSQL store, and
	// what a step read on one (its processes, disks, files) is not what
	// it would read on another.
	material["host"] = hostID()
	// What no file operation touches differs between processes (a policy
	// file given to one and not another): a read one allowed is no hit for
	// one that refuses it.
	if p := fsroot.ProtectedPaths(); len(p) > 0 {
		material["protected"] = p
	}
	// What the operation depends on besides its params (the variables a
	// plugin gets) is in the key even with cache.key: a step's own key
	// says which params matter, not which environment.
	var ck ops.CacheKeyer
	if c.Entry != nil && c.Entry.As(&ck) {
		if v := ck.CacheKey(c.Environ()); v != nil {
			material["depends"] = v
		}
	}
	// The machine a host parameter names, likewise: a step's own key
	// says which params matter, not where they lead.
	var tk Targeter
	if c.Entry != nil && c.Entry.As(&tk) {
		material["target"] = tk.CacheTarget(ctx, c.Params)
	}
	// The sub-playbooks a playbook.run step runs, by content: the step's
	// params (or its own key) name the file, not the version of it.
	if subs := c.SubPlaybooks(); subs != nil {
		material["playbooks"] = subs
	}
	if k := c.Step.Cache.Key; k != nil {
		v, err := c.Value(k)
		if err != nil {
			return "", err
		}
		material["key"] = engine.Stringify(v)
	} else {
		params := make(map[string]any, len(c.Params))
		for k, v := range c.Params {
			if p := c.Entry.Spec.Param(k); p != nil && p.Secret {
				sum := sha256.Sum256([]byte(engine.Stringify(v)))
				v = "sha256:" + hex.EncodeToString(sum[:])
			}
			params[k] = v
		}
		material["params"] = params
		if pb := c.Playbook(); pb != nil {
			material["dir"] = pb.Dir // data.txt of one playbook is not another's
		}
	}
	data, err := json.Marshal(material)
	if err != nil {
		return "", ops.Errorf(ops.ClassValidation, "cache: the parameters of step %s cannot make a key: %v", c.Step.ID, err)
	}
	if secret == nil {
		sum := sha256.Sum256(data)
		return hex.EncodeToString(sum[:]), nil
	}
	m := hmac.New(sha256.New, secret)
	m.Write(data)
	return hex.EncodeToString(m.Sum(nil)), nil
}

// hostID names the host the process runs on: its machine id where the
// system has one (it tells apart hosts that share a name), and its name.
var hostID = sync.OnceValue(func() string {
	name, _ := os.Hostname()
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(p); err == nil && len(bytes.TrimSpace(b)) > 0 {
			return string(bytes.TrimSpace(b)) + "/" + name
		}
	}
	return name
})
