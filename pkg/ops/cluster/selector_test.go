package cluster

import (
	"context"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestSelectorValueMustBeALabelValue: a selector value is compared with
// a label's text, so a list (read as "any of") or a null never matched
// and the step failed at run time with Go's map syntax; it is refused
// when the playbook loads, naming the key.
func TestSelectorValueMustBeALabelValue(t *testing.T) {
	r := newRegistry(t)
	e, _ := r.Get("cluster.health")
	nodes := []any{map[string]any{"name": "a", "address": "127.0.0.1:1", "labels": map[string]any{"role": "web"}}}
	tests := []struct {
		sel  map[string]any
		want string
	}{
		{map[string]any{"role": []any{"web", "db"}}, `param selector: label "role": want a string, number or bool, got list; a selector matches one value per label`},
		{map[string]any{"role": nil}, `param selector: label "role": want a string, number or bool, got null`},
		{map[string]any{"role": map[string]any{"in": "web"}}, `param selector: label "role": want a string, number or bool, got map`},
	}
	for _, tc := range tests {
		_, err := e.Validate(map[string]any{"nodes": nodes, "selector": tc.sel}, false)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("selector %v: %v, want an error containing %q", tc.sel, err, tc.want)
		}
	}
	for _, sel := range []map[string]any{{"role": "web"}, {"role": ops.Deferred}, {"zone": 3, "canary": true}} {
		if _, err := e.Validate(map[string]any{"nodes": nodes, "selector": sel}, false); err != nil {
			t.Errorf("selector %v: %v", sel, err)
		}
	}
}

// TestSelectorMatchingNothingSaysWhatThereIs: the error of a selector
// that matches no node is written as labels are (role=web), not in Go's
// map syntax, and lists the labels the nodes do have.
func TestSelectorMatchingNothingSaysWhatThereIs(t *testing.T) {
	r := newRegistry(t)
	nodes := []any{
		map[string]any{"name": "a", "address": "127.0.0.1:1", "labels": map[string]any{"role": "db", "zone": "b"}},
		map[string]any{"name": "b", "address": "127.0.0.1:1", "labels": map[string]any{"role": "db", "zone": "a"}},
		map[string]any{"name": "c", "address": "127.0.0.1:1"},
	}
	for _, op := range []string{"cluster.health", "cluster.topology"} {
		_, err := opstest.Execute(r, context.Background(), op, map[string]any{"nodes": nodes, "selector": map[string]any{"zone": "a", "role": "web"}})
		want := "param selector: no node of 3 has role=web and zone=a; the nodes' labels: role=db (2 nodes), zone=a, zone=b; fix the selector or the nodes' labels"
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || err.Error() != want {
			t.Errorf("%s: %v\nwant a validation error: %s", op, err, want)
		}
	}
}
