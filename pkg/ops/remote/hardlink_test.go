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

// TestUploadSourceSwappedForASymlinkIsRefused: with the state dir inside
// the roots, ssh.upload's src swapped after its check for a symlink to a
// key there is judged where the open led, and refused.
func TestUploadSourceSwappedForASymlinkIsRefused(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "state")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(st, "report.key"), []byte("secret-report-key"), 0o600); err != nil {
		t.Fatal(err)
	}
	fsroot.Protect(st, "state dir")
	src := filepath.Join(dir, "app.tar")
	if err := os.WriteFile(src, []byte("app"), 0o600); err != nil {
		t.Fatal(err)
	}
	testHookLocated = func(string) {
		if err := os.Remove(src); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("state/report.key", src); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { testHookLocated = nil })
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: dir, Scope: roots{dir}})
	_, _, release, err := openLocal(ctx, src)
	if err == nil {
		release()
	}
	if !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "state dir") {
		t.Errorf("openLocal of a src swapped for a symlink to the state dir's key: %v, want a denial", err)
	}
}
