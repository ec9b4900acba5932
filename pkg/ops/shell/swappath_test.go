package shell

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestDaemonRunsRefuseAProgramFoundInADirAnyoneMayWrite: in a run of
// serve or schedule, a program named without a path is judged where PATH
// finds it, as one named by path is: the step's env sets PATH to a
// directory every user may write first, and the program another user
// (mallory) put there under the name of a system tool would run with the
// daemon's rights. So are the directories of the step's PATH and
// LD_LIBRARY_PATH, what its LD_PRELOAD loads and its BASH_ENV names,
// through which a shell or a wrapper would run her code. A PATH of
// directories only root may write runs, and so does hers in a run of the
// user's own.
func TestDaemonRunsRefuseAProgramFoundInADirAnyoneMayWrite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user")
	}
	const mallory = 1001
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	if err := os.Mkdir(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	ran := filepath.Join(dir, "ran")
	hers := filepath.Join(drop, "systemctl")
	if err := os.WriteFile(hers, []byte("#!/bin/sh\necho \"$0\" >>"+ran+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(hers, mallory, mallory); err != nil {
		t.Fatal(err)
	}
	env := map[string]any{"PATH": drop + ":/usr/sbin:/usr/bin:/sbin:/bin"}
	daemon := ops.WithCall(context.Background(), &ops.Call{Dir: dir, RefuseSwappable: true})
	_, err := execute(t, daemon, nil, map[string]any{"command": []any{"systemctl", "restart", "web"}, "env": env})
	if err == nil || ops.ClassOf(err) != ops.ClassValidation ||
		!strings.Contains(err.Error(), "command: the program systemctl (found through PATH) is in "+drop) ||
		!strings.Contains(err.Error(), "owned by user 1001") {
		t.Errorf("her systemctl found through the step's PATH in a daemon's run: %v", err)
	}
	if b, err := os.ReadFile(ran); err == nil {
		t.Errorf("a refused program ran: %s", b)
	}
	// What the step's env makes the program load or find: judged too.
	for _, tc := range []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"command": []any{"sh", "-c", "systemctl restart web"}, "env": env}, "env PATH: a directory of PATH's mode 1777"},
		{map[string]any{"command": []any{"true"}, "env": map[string]any{"LD_PRELOAD": filepath.Join(drop, "hook.so")}},
			"env LD_PRELOAD: a library LD_PRELOAD loads would be in " + drop},
		{map[string]any{"script": "true", "shell": []any{"bash", "-c"}, "env": map[string]any{"BASH_ENV": hers}},
			"env BASH_ENV: the file BASH_ENV names is in " + drop},
		{map[string]any{"command": []any{"true"}, "env": map[string]any{"LD_LIBRARY_PATH": "/usr/lib:drop"}},
			"env LD_LIBRARY_PATH: a directory of LD_LIBRARY_PATH's mode 1777"},
	} {
		_, err := execute(t, daemon, nil, tc.raw)
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v in a daemon's run: %v; want it refused: %s", tc.raw, err, tc.want)
		}
	}
	if b, err := os.ReadFile(ran); err == nil {
		t.Errorf("a refused program ran: %s", b)
	}
	if _, err := execute(t, daemon, nil, map[string]any{"command": []any{"sh", "-c", "true"},
		"env": map[string]any{"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": "/usr/lib", "ENV": "$HOME/.shrc"}}); err != nil {
		t.Errorf("root's directories in the step's env in a daemon's run: %v", err)
	}
	user := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	if _, err := execute(t, user, nil, map[string]any{"command": []any{"systemctl"}, "env": env}); err != nil {
		t.Errorf("her systemctl in run, without RefuseSwappable: %v", err)
	}
}
