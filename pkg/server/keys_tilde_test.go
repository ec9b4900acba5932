package server

import (
	"strings"
	"testing"
)

// TestKeysTildeNotExpanded: --keys "~/k.yaml" (quoted, so the shell left
// the ~) said only that there is no such file; it now says the ~ was not
// expanded.
func TestKeysTildeNotExpanded(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := LoadKeys("~/no-such-keys.yaml")
	if err == nil || !strings.Contains(err.Error(), "the ~ was not expanded to a home directory") {
		t.Errorf("got %v", err)
	}
}
