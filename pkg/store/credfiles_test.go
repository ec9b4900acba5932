package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestOpenProtectsDatabaseCredentials: with --state URL, the files the
// driver reads the password or client key from are files no step may
// read. A role whose file roots hold the service's home (its working
// directory, say) could otherwise read ~/.pgpass, connect to the
// database and sign itself an admin session with the key kept there.
func TestOpenProtectsDatabaseCredentials(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	other := t.TempDir()
	passEnv := filepath.Join(other, "pass.env")
	t.Setenv("PGPASSFILE", passEnv)
	keyParam := filepath.Join(other, "client.key")
	files := []string{
		filepath.Join(home, ".pgpass"),
		filepath.Join(home, ".pg_service.conf"),
		filepath.Join(home, ".postgresql", "postgresql.key"),
		passEnv,
		keyParam,
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("127.0.0.1:1:*:arsenal:s3cret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // nothing is to be connected to: only what Open protects counts
	url := "postgres://arsenal@127.0.0.1:1/arsenal?connect_timeout=1&sslkey=" + keyParam
	if s, err := Open(ctx, Spec{URL: url}); err == nil {
		s.Close()
	}
	for _, f := range files {
		if err := fsroot.Guard(f); !errors.Is(err, ops.ErrDenied) {
			t.Errorf("Guard(%s) = %v, want a denial: a step could read the database's credentials", f, err)
		}
	}
}
