package procenv

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

func TestList(t *testing.T) {
	got, err := List(map[string]any{"B": 2, "A": "x", "C": true, "D": 1.5, "E": nil, "F": ops.Deferred})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"A=x", "B=2", "C=true", "D=1.5", "E="}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []map[string]any{{"": "x"}, {"A=B": "x"}, {"A": "x\x00y"}, {"A": []any{1}}} {
		if _, err := List(bad); err == nil {
			t.Errorf("List(%q) accepted it", bad)
		}
	}
}
