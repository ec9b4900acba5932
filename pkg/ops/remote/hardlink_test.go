package remote

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestUploadSourceHardLinkToProtectedFileIsRefused: ssh.upload's src
// naming a hard link to a protected file (a key in the state dir) would
// send the key to the host; it is refused before anything is sent.
func TestUploadSourceHardLinkToProtectedFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "state")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(st, "report.key")
	if err := os.WriteFile(key, []byte("secret-report-key"), 0o600); err != nil {
		t.Fatal(err)
	}
	fsroot.Protect(st, "state dir")
	link := filepath.Join(dir, "rk")
	if err := os.Link(key, link); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	_, _, release, err := openLocal(context.Background(), link)
	if err == nil {
		release()
	}
	if err == nil || !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "hard link") {
		t.Errorf("openLocal of a hard link to the state dir's key: %v, want a denial naming the hard link", err)
	}
}
