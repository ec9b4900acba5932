package shell

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestDaemonRunsRefuseAProgramAnotherUserCouldSwap: in a run of serve or
// schedule (ops.Call.RefuseSwappable), a program named by path, or the
// script an interpreter runs, that another user (mallory) owns in a
// sticky directory every user may write, that lies in a directory every
// user may write, that every user may write, or that is missing where
// any user could create it, is refused with what to do, before it runs,
// started through wrappers (nice, env, timeout) too:
// she would choose the code root runs. Root's own script in a 0755
// directory runs, and so does anything in a run of the user's own (run).
func TestDaemonRunsRefuseAProgramAnotherUserCouldSwap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user")
	}
	const mallory = 1001
	dir := t.TempDir()
	mkdir := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ran := filepath.Join(dir, "ran")
	script := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\necho \"$0\" >>"+ran+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	drop := mkdir("drop", 0o777|os.ModeSticky)
	open := mkdir("open", 0o777)
	hers := script("drop/tool.sh", 0o755)
	if err := os.Chown(hers, mallory, mallory); err != nil {
		t.Fatal(err)
	}
	inOpen := script("open/fix.sh", 0o755)
	shared := script("shared.sh", 0o777)
	script("mine.sh", 0o755)

	daemon := ops.WithCall(context.Background(), &ops.Call{Dir: dir, RefuseSwappable: true})
	refused := []struct {
		command []any
		want    []string
	}{
		{[]any{"drop/tool.sh"}, []string{"command: the program is in " + drop + ", a directory every user of this host may write, and " + hers + " there is owned by user 1001, who can replace it and choose the code that the runs that start it run"}},
		{[]any{hers, "--now"}, []string{"owned by user 1001"}},
		{[]any{"bash", "-e", "open/fix.sh"}, []string{"bash's script is in " + open + ", a directory every user of this host may write (mode 0777): any of them can rename a file of their own over " + inOpen, "chmod o-w " + open}},
		{[]any{"sh", "./shared.sh"}, []string{"sh's script's mode 0777 lets every user of this host write it", "chmod go-w " + shared}},
		{[]any{"./shared.sh"}, []string{"the program's mode 0777"}},
		{[]any{"nice", "-n", "5", "env", "A=1", "bash", "open/fix.sh"}, []string{"command: bash's script is in " + open}},
		{[]any{"timeout", "10", "drop/tool.sh"}, []string{"command: the program is in " + drop}},
		{[]any{"python3", "-u", filepath.Join(drop, "x.py")}, []string{"python3's script would be in " + drop, filepath.Join(drop, "x.py") + " does not exist: any of them can create it"}},
	}
	for _, tc := range refused {
		_, err := execute(t, daemon, nil, map[string]any{"command": tc.command})
		if err == nil || ops.ClassOf(err) != ops.ClassValidation {
			t.Errorf("%v in a daemon's run: %v", tc.command, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v in a daemon's run:\n%v\nwant it to hold %q", tc.command, err, w)
			}
		}
	}
	_, err := execute(t, daemon, nil, map[string]any{"script": "true", "shell": []any{hers, "-c"}})
	if err == nil || !strings.Contains(err.Error(), "shell: the program is in "+drop) {
		t.Errorf("her shell for a script in a daemon's run: %v", err)
	}
	// A script's plain lines are commands sh runs: judged as a command's
	// items are; a line with a pipe, quotes or an expansion is not.
	for _, sc := range []string{"drop/tool.sh", "set -x\n  bash open/fix.sh --now\necho \"$HOME\"\n"} {
		_, err = execute(t, daemon, nil, map[string]any{"script": sc})
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.HasPrefix(err.Error(), "script: ") || !strings.Contains(err.Error(), open) && !strings.Contains(err.Error(), drop) {
			t.Errorf("script %q in a daemon's run: %v; want it refused: script: … in %s", sc, err, drop)
		}
	}
	_, err = execute(t, daemon, nil, map[string]any{"command": []any{"sh", "-c", "drop/tool.sh --now"}})
	if err == nil || !strings.Contains(err.Error(), "command: the program is in "+drop) {
		t.Errorf("sh -c with her program in a daemon's run: %v", err)
	}
	_, err = execute(t, daemon, nil, map[string]any{"command": []any{hers}, "sandbox": map[string]any{}})
	if err == nil || !strings.Contains(err.Error(), "command: the program is in "+drop) {
		t.Errorf("her program in a sandbox in a daemon's run: %v", err)
	}
	if b, err := os.ReadFile(ran); err == nil {
		t.Errorf("a refused program ran: %s", b)
	}

	// Root's own script in a 0755 directory, code on the command line,
	// a program found in PATH, the $0 of sh -c and a line of a script
	// that is more than plain words are not judged.
	for _, raw := range []map[string]any{
		{"command": []any{"./mine.sh"}},
		{"command": []any{"bash", "mine.sh"}},
		{"command": []any{"sh", "-c", "true", "open/fix.sh"}},
		{"command": []any{"true"}},
		{"script": "true"},
		{"script": "./mine.sh --now\ndrop/tool.sh | tee log\n"},
	} {
		if _, err := execute(t, daemon, nil, raw); err != nil {
			t.Errorf("%v in a daemon's run: %v", raw, err)
		}
	}
	// A user's own run runs what they point it at.
	user := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	for _, cmd := range [][]any{{"drop/tool.sh"}, {"bash", "open/fix.sh"}, {"./shared.sh"}} {
		if _, err := execute(t, user, nil, map[string]any{"command": cmd}); err != nil {
			t.Errorf("%v in run, without RefuseSwappable: %v", cmd, err)
		}
	}
}
