package auth

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLoadPolicyTooLargeSaysItsSize: a policy over the limit is refused
// naming the file alone (there is no line at fault), its size and the
// limit in KiB, and what to check; not a made-up 1:1 and the name of a Go
// constant.
func TestLoadPolicyTooLargeSaysItsSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, make([]byte, 300_000), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadPolicy(path, testRegistry(t))
	want := path + ": the file is 293.0 KiB (300000 bytes), over the limit of 256 KiB; a policy this large is unlikely to be right: check that the path names the policy file"
	if err == nil || err.Error() != want {
		t.Errorf("LoadPolicy = %v\nwant %s", err, want)
	}
}
