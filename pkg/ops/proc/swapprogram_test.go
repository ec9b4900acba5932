package proc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestDaemonStartRefusesAProgramAnotherUserCouldSwap: process.start in
// a run of serve or schedule (ops.Call.RefuseSwappable) refuses a program
// another user (mallory) owns in a sticky directory every user may
// write, and the script an interpreter would run from there, started
// through wrappers (setsid, nice, sudo, env) too, before it starts; root's own program in a 0755 directory starts, and so does
// hers in a run of the user's own (run).
func TestDaemonStartRefusesAProgramAnotherUserCouldSwap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user")
	}
	const mallory = 1001
	r, _ := newEnv(t, Options{})
	dir := t.TempDir()
	drop := filepath.Join(dir, "drop")
	if err := os.Mkdir(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	ran := filepath.Join(dir, "ran")
	body := []byte("#!/bin/sh\necho \"$0\" >>" + ran + "\n")
	hers, mine := filepath.Join(drop, "worker"), filepath.Join(dir, "worker")
	for _, p := range []string{hers, mine} {
		if err := os.WriteFile(p, body, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(hers, mallory, mallory); err != nil {
		t.Fatal(err)
	}

	daemon := ops.WithCall(context.Background(), &ops.Call{Dir: dir, RefuseSwappable: true})
	for _, tc := range []struct {
		command []any
		want    string
	}{
		{[]any{"drop/worker"}, "command: the program is in " + drop + ", a directory every user of this host may write, and " + hers + " there is owned by user 1001"},
		{[]any{"sh", hers}, "command: sh's script is in " + drop},
		{[]any{"setsid", "nice", "-n", "5", "drop/worker"}, "command: the program is in " + drop},
		{[]any{"sudo", "-u", "app", "env", "A=1", "sh", hers}, "command: sh's script is in " + drop},
	} {
		command, want := tc.command, tc.want
		_, err := opstest.Execute(r, daemon, "process.start", map[string]any{"command": command})
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), want) {
			t.Errorf("%v in a daemon's run: %v; want %q", command, err, want)
		}
	}
	// Nor does its env lead a program to her code: a PATH directory or a
	// library LD_PRELOAD loads, where she could put one.
	for k, v := range map[string]string{"PATH": drop + ":/usr/bin:/bin", "LD_PRELOAD": filepath.Join(drop, "hook.so")} {
		_, err := opstest.Execute(r, daemon, "process.start", map[string]any{"command": []any{"sh", "-c", "worker"}, "env": map[string]any{k: v}})
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), "env "+k+": ") || !strings.Contains(err.Error(), drop) {
			t.Errorf("env %s=%s in a daemon's run: %v; want it refused, naming %s", k, v, err, drop)
		}
	}
	started := func(ctx context.Context, command ...any) {
		t.Helper()
		out, err := opstest.Execute(r, ctx, "process.start", map[string]any{"command": command})
		if err != nil {
			t.Fatalf("%v: %v", command, err)
		}
		gone(t, out["pid"].(int))
	}
	started(daemon, "./worker")
	if b, _ := os.ReadFile(ran); string(b) != mine+"\n" {
		t.Errorf("ran %q, want root's worker alone", b)
	}
	started(ops.WithCall(context.Background(), &ops.Call{Dir: dir}), "drop/worker")
}
