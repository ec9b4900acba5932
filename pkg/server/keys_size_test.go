package server

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLoadKeysTooLargeSaysItsSize: a keys file over the limit is refused
// naming the file alone, its size and the limit in MiB, and what to
// check; not a made-up 1:1 and the name of a Go constant.
func TestLoadKeysTooLargeSaysItsSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.yaml")
	if err := os.WriteFile(path, make([]byte, 3<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadKeys(path)
	want := path + ": the file is 3.0 MiB (3145728 bytes), over the limit of 1 MiB; a keys file this large is unlikely to be right: check that the path names the keys file"
	if err == nil || err.Error() != want {
		t.Errorf("LoadKeys = %v\nwant %s", err, want)
	}
}
