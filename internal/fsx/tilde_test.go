package fsx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTildeHint: a path given as "~/p.yaml" (quoted, or after --flag=)
// reaches arsenal-run with its ~, and opening it says no such file, which
// reads as if the file in the home directory were missing.
func TestTildeHint(t *testing.T) {
	_, err := os.Open(filepath.Join(t.TempDir(), "none"))
	if got := TildeHint("~/p.yaml", err); !strings.Contains(got, "the ~ was not expanded") {
		t.Errorf("~/p.yaml: %q", got)
	}
	for _, p := range []string{"p.yaml", "a/~b"} {
		if diff := cmp.Diff("", TildeHint(p, err)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", p, diff)
		}
	}
	if got := TildeHint("~/p.yaml", os.ErrPermission); got != "" {
		t.Errorf("permission: %q", got)
	}
}
