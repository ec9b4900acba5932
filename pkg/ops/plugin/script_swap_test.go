package plugin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// TestLoadRefusesASwappableScript: a manifest whose command runs a
// script through its interpreter, [sh, hi.sh] or [python3, greet.py],
// runs the script's code as the user of the run as surely as a program
// of its own: a script every user may write, or one in a directory every
// user may write, is refused at load as the program would be, naming the
// script and the chmod that fixes it.
func TestLoadRefusesASwappableScript(t *testing.T) {
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Skip("no /bin/sh")
	}
	manifest := "version: 1\nname: acme.hi\ncategory: acme\ndescription: Say hi.\nrisk: read\ncommand: [%s]\n"
	load := func(dir string) string {
		t.Helper()
		if err := plugin.Load(dir, ops.NewRegistry(), plugin.Options{}); err != nil {
			return err.Error()
		}
		return ""
	}
	dir := filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := write(t, dir, "hi.sh", "echo '{}'\n", 0o644)
	m := write(t, dir, "hi.yaml", strings.Replace(manifest, "%s", "sh, hi.sh", 1), 0o644)
	if msg := load(dir); msg != "" {
		t.Fatalf("a script of mode 0644: %s", msg)
	}
	if err := os.Chmod(script, 0o666); err != nil {
		t.Fatal(err)
	}
	msg := load(dir)
	if !strings.Contains(msg, m+":6:10: command: ") || !strings.Contains(msg, "mode 0666 lets every user of this host") ||
		!strings.Contains(msg, "chmod go-w "+script) {
		t.Fatalf("a script of mode 0666 run as [sh, hi.sh]: %q", msg)
	}

	// The script in a directory every user may write (no sticky bit),
	// named by an absolute path, behind the interpreter's options.
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	other := write(t, open, "hi.sh", "echo '{}'\n", 0o644)
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "hi.yaml", strings.Replace(manifest, "%s", sh+", -e, "+other, 1), 0o644)
	if msg := load(dir); !strings.Contains(msg, "is in "+open+", a directory every user of this host may write") ||
		!strings.Contains(msg, "chmod o-w "+open) {
		t.Fatalf("a script in a directory of mode 0777 run as [%s, -e, %s]: %q", sh, other, msg)
	}
}

// TestExecuteJudgesTheProgramAgain: a plugin's program may change without
// a restart (it is started afresh for each step), so one made writable by
// every user since the manifest was loaded, as a new version unpacked
// with mode 0777 is, is refused when the step starts it, not run.
func TestExecuteJudgesTheProgramAgain(t *testing.T) {
	dir := t.TempDir()
	addPlugin(t, dir, "hi", "#!/bin/sh\necho '{\"ran\": true}'\n",
		"version: 1\nname: acme.hi\ncategory: acme\ndescription: Say hi.\nrisk: read\ncommand: [./hi.prog]\n")
	reg := registry(t, dir, plugin.Options{})
	if _, err := opstest.Execute(reg, callCtx(), "acme.hi", nil); err != nil {
		t.Fatalf("a program of mode 0755: %v", err)
	}
	prog := filepath.Join(dir, "hi.prog")
	if err := os.Chmod(prog, 0o777); err != nil {
		t.Fatal(err)
	}
	out, err := opstest.Execute(reg, callCtx(), "acme.hi", nil)
	if err == nil || !strings.Contains(err.Error(), "plugin acme.hi: ") || !strings.Contains(err.Error(), "mode 0777 lets every user of this host") ||
		!strings.Contains(err.Error(), "chmod go-w "+prog) {
		t.Fatalf("a program made 0777 since the load: out %v, err %v", out, err)
	}
}
