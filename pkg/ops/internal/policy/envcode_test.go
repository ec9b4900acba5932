package policy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestSwappableEnvJudgesAnEmptyEntryAsTheDirectory: an empty entry of
// PATH or LD_LIBRARY_PATH (a leading, trailing or doubled colon) is the
// working directory to a shell and to the dynamic loader, as "." is: it
// is judged as the directory the program starts in, and refused when
// every user may write that. So is a directory of LD_LIBRARY_PATH after
// a semicolon, which the loader splits it at as at a colon.
func TestSwappableEnvJudgesAnEmptyEntryAsTheDirectory(t *testing.T) {
	drop := filepath.Join(t.TempDir(), "drop")
	if err := os.Mkdir(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	daemon := ops.WithCall(context.Background(), &ops.Call{RefuseSwappable: true})
	for _, kv := range []string{"PATH=.:/usr/bin", "PATH=:/usr/bin", "PATH=/usr/bin:", "PATH=/usr/bin::/bin", "LD_LIBRARY_PATH=/usr/lib:", "LD_LIBRARY_PATH=/usr/lib;" + drop} {
		err := SwappableEnv(daemon, "env", []string{kv}, drop)
		if err == nil || !strings.Contains(err.Error(), "mode 1777") {
			t.Errorf("%s starting in a directory anyone may write: %v, want it refused", kv, err)
		}
	}
	if err := SwappableEnv(daemon, "env", []string{"PATH=/usr/bin:/bin", "PATH=/usr/bin;x:/bin", "LD_PRELOAD=", "LD_LIBRARY_PATH="}, drop); err != nil {
		t.Errorf("no empty entry of a list, nor the current directory: %v", err)
	}
}

// TestSwappableEnvJudgesTheOtherPathsOfAListWithADollar: nothing expands
// a step's env, so "$PATH:/srv/drop" gives the program /srv/drop as a
// directory of its PATH; that one is judged, though the "$PATH" beside it
// is not, nor BASH_ENV's "$HOME/.bashrc", which bash expands.
func TestSwappableEnvJudgesTheOtherPathsOfAListWithADollar(t *testing.T) {
	drop := filepath.Join(t.TempDir(), "drop")
	if err := os.Mkdir(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	daemon := ops.WithCall(context.Background(), &ops.Call{RefuseSwappable: true})
	for _, kv := range []string{"PATH=$PATH:" + drop, "LD_LIBRARY_PATH=${LD_LIBRARY_PATH}:" + drop, "LD_PRELOAD=$LIB/x.so " + filepath.Join(drop, "hook.so")} {
		err := SwappableEnv(daemon, "env", []string{kv}, "/")
		if err == nil || !strings.Contains(err.Error(), drop) {
			t.Errorf("%s: %v, want it refused for %s", kv, err, drop)
		}
	}
	if err := SwappableEnv(daemon, "env", []string{"PATH=$PATH:/usr/bin", "BASH_ENV=$HOME/.bashrc", "ENV=" + drop + "/$X"}, "/"); err != nil {
		t.Errorf("paths holding $ beside root's: %v", err)
	}
}
