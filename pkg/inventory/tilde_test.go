package inventory

import (
	"strings"
	"testing"
)

// TestTildeNotExpanded: --inventory "~/i.yaml" (quoted, so the shell left
// the ~) said only that there is no such file; it now says the ~ was not
// expanded.
func TestTildeNotExpanded(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := Load("~/no-such-inventory.yaml")
	if err == nil || !strings.Contains(err.Error(), "the ~ was not expanded to a home directory") {
		t.Errorf("got %v", err)
	}
}
