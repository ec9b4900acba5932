package auth

import (
	"strings"
	"testing"
)

// TestPolicyTildeNotExpanded: --policy "~/p.yaml" (quoted, so the shell
// left the ~) said only that there is no such file; it now says the ~
// was not expanded.
func TestPolicyTildeNotExpanded(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := LoadPolicy("~/no-such-policy.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "the ~ was not expanded to a home directory") {
		t.Errorf("got %v", err)
	}
}
