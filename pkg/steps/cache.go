package steps

import (
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
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
	// interpolate, and inside a foreach must read item or index (else
	// every item would share one entry).
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
			if s.fanout && !readsItem(c.Key) {
				// The items of one run would answer one another: the
				// first to store its result is every later item's hit.
				l.d.Add(yamlx.PosOf(d), "cache.key of a foreach step reads neither item nor index, so all its items would share one entry and the first item's result would answer for the others without running them; put what tells the items apart in the key, like \"${{ inputs.version }}-${{ item }}\", or leave key out to key each item by its params")
			}
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

// readsItem reports whether v reads item or index, the only names whose
// value differs between the items of a fan-out. An expression that does
// not parse counts as reading them: its own error is reported where it is
// compiled.
func readsItem(v *Value) bool {
	var srcs []string
	switch v.Kind {
	case KindExpr:
		if v.Expr == nil {
			return true
		}
		srcs = append(srcs, v.Expr.Source)
	case KindTemplate:
		for _, p := range v.Parts {
			if p.Expr != nil {
				srcs = append(srcs, p.Expr.Source)
			}
		}
	}
	for _, src := range srcs {
		tree, err := parser.Parse(src)
		if err != nil {
			return true
		}
		w := &itemReads{}
		ast.Walk(&tree.Node, w)
		if w.reads {
			return true
		}
	}
	return false
}

// itemReads finds a name item or index. A let of either name counts too:
// at worst the key is not refused.
type itemReads struct{ reads bool }

func (w *itemReads) Visit(node *ast.Node) {
	if n, ok := (*node).(*ast.IdentifierNode); ok && (n.Value == EnvItem || n.Value == EnvIndex) {
		w.reads = true
	}
}
