package yamlx

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// Fields walks a mapping whose keys are fixed, reporting unknown keys with a
// suggestion and the list of allowed keys.
func Fields(n *yaml.Node, what string, known []string, d *Diags, fn func(key string, k, v *yaml.Node)) bool {
	return FieldsHint(n, what, known, nil, d, fn)
}

// FieldsHint is Fields, with hint saying more about an unknown key than
// the closest known one, when it returns text (which then replaces the
// did-you-mean).
func FieldsHint(n *yaml.Node, what string, known []string, hint func(key string) string, d *Diags, fn func(key string, k, v *yaml.Node)) bool {
	return FieldsShown(n, what, known, known, hint, d, fn)
}

// FieldsShown is FieldsHint naming shown, not known, as the allowed keys:
// a key that fn refuses in this place with a message of its own (a
// handler step's rescue) is still read, but not offered.
func FieldsShown(n *yaml.Node, what string, known, shown []string, hint func(key string) string, d *Diags, fn func(key string, k, v *yaml.Node)) bool {
	if dn := Deref(n); dn.Kind != yaml.MappingNode && !IsNull(dn) && len(known) <= 6 {
		// Saying which few keys it takes is what turns `cache: 1h` into
		// `cache: {ttl: 1h}`; a step's twenty keys would bury the point.
		d.Add(PosOf(dn), "%s must be a mapping (key: value) of %s, not %s", what, strings.Join(shown, ", "), KindName(dn))
		return false
	}
	pairs, ok := Pairs(n, what, d)
	if !ok {
		return false
	}
	for _, p := range pairs {
		if !Contains(known, p.Key) {
			more := ""
			if hint != nil {
				more = hint(p.Key)
			}
			if more == "" {
				more = suggest.DidYouMean(p.Key, shown)
			}
			d.Add(PosOf(p.K), "unknown key %q in %s%s; allowed keys: %s", p.Key, what, more, strings.Join(shown, ", "))
			continue
		}
		fn(p.Key, p.K, p.V)
	}
	return true
}
