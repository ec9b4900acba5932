package steps

import (
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// Cache is a step's cache: setting. A step with one answers from the
// state dir's result cache when an entry for its key is younger than TTL,
// without running the operation; otherwise it runs and stores its output.
// Only read operations are cached unless the policy allows an operation by
// name (checked by the run service, which knows the policy).
type Cache struct {
	Pos Pos
	TTL time.Duration
	// Key, when set, is the entry's key (hashed with the op's name) instead
	// of the default: the op and its resolved parameters. It may
	// interpolate, and inside a foreach read item and index.
	Key *Value
}

var cacheKeys = []string{"ttl", "key"}

// decodeCache reads `cache: {ttl: 10m, key: "${{ ... }}"}`.
func (l *loader) decodeCache(n *yaml.Node, s *Step) *Cache {
	c := &Cache{Pos: yamlx.PosOf(yamlx.Deref(n))}
	ok := yamlx.Fields(n, "cache", cacheKeys, l.d, func(key string, k, v *yaml.Node) {
		switch key {
		case "ttl":
			c.TTL, _ = l.duration(v, "cache.ttl")
		case "key":
			d := yamlx.Deref(v)
			if d.Kind != yaml.ScalarNode || d.ShortTag() != "!!str" {
				l.d.Add(yamlx.PosOf(d), "cache.key must be a string, usually \"${{ ... }}\", not %s", yamlx.KindName(d))
				return
			}
			if d.Value == "" {
				// Every step of the op sharing one entry is not a key.
				l.d.Add(yamlx.PosOf(d), "cache.key is empty, so every step of %s would share one entry whatever it does; give a key that tells results apart, like \"${{ inputs.region }}\", or leave key out to key by the op's params", s.Op)
				return
			}
			c.Key = l.value(v, l.stepScope(s), s, -1, false)
		}
	})
	if !ok {
		return nil
	}
	if c.TTL == 0 && !l.hasKey(n, "ttl") {
		l.d.Add(c.Pos, "cache needs a ttl, how long an entry stays fresh, like `cache: {ttl: 10m}`")
	}
	return c
}
