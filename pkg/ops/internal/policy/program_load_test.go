package policy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// swapDirs makes, for a test run as root, a sticky directory every user
// may write (drop) holding files owned by user 1001, and a 0755 one of
// root's (mine) holding the same files owned by root (with the
// directories a file's path makes in drop, 1001's too); it returns both
// and their parent.
func swapDirs(t *testing.T, files ...string) (dir, drop, mine string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user")
	}
	dir = t.TempDir()
	drop, mine = filepath.Join(dir, "drop"), filepath.Join(dir, "mine")
	for _, d := range []string{drop, mine} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			p := filepath.Join(d, f)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("1;\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			for q := p; d == drop && q != d; q = filepath.Dir(q) {
				if err := os.Chown(q, 1001, 1001); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	return dir, drop, mine
}

// TestSwappableCodeOptionsLoad: the code an interpreter's option loads
// before its program is judged as its script is: node -r ./hook.js
// (--require, --import, --loader), perl -I DIR -MMod (DIR/Mod.pm), ruby
// -I DIR -rlib, gawk -i FILE (--include); a module found by name alone
// (node -r dotenv/config, perl -MPOSIX, gawk -i inplace in root's
// directory) is not. Their options go on after the code of -e (node -e
// CODE -r ./hook.js), whose operands are its arguments.
func TestSwappableCodeOptionsLoad(t *testing.T) {
	_, drop, mine := swapDirs(t, "hook.js", "App/Conf.pm", "lib.rb", "inc.awk")
	daemon := ops.WithCall(context.Background(), &ops.Call{RefuseSwappable: true})
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"node", "-r", drop + "/hook.js", mine + "/hook.js"}, "node's script is in " + drop},
		{[]string{"node", "--require=./hook.js", "-e", "1"}, "node's script is in " + drop},
		{[]string{"sudo", "node", "--import", "./hook.js", mine + "/hook.js"}, "node's script is in " + drop},
		{[]string{"perl", "-I", drop, "-MApp::Conf=load", "-e", "1"}, "perl's script is in " + drop},
		{[]string{"perl", "-I" + mine, "-Ilib", "-MApp::Conf", "x.pl"}, "perl's script is in " + drop},
		{[]string{"ruby", "-I", ".", "-rlib", "-e", "1"}, "ruby's script is in " + drop},
		{[]string{"gawk", "-i", "inc.awk", "{ print }", "data"}, "gawk's script is in " + drop},
		{[]string{"gawk", "--include=inc.awk", "{ print }"}, "gawk's script is in " + drop},
		// options go on after the code of -e
		{[]string{"node", "-e", "1", "-r", "./hook.js"}, "node's script is in " + drop},
		{[]string{"node", "--eval=1", "--require", "./hook.js", "arg"}, "node's script is in " + drop},
		{[]string{"node", "-pe", "1", "--import=./hook.js"}, "node's script is in " + drop},
		{[]string{"perl", "-le", "print 1", "-I", drop, "-MApp::Conf"}, "perl's script is in " + drop},
		{[]string{"ruby", "-e", "1", "-I.", "-rlib"}, "ruby's script is in " + drop},
	} {
		dir := drop
		if tc.argv[1] == "-I"+mine {
			dir = filepath.Dir(drop)
			tc.argv[2] = "-I" + filepath.Base(drop)
		}
		err := SwappableProgram(daemon, "command", tc.argv, dir)
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), "command: "+tc.want) || !strings.Contains(err.Error(), "owned by user 1001") {
			t.Errorf("%q in %s: %v; want it refused: %q", tc.argv, dir, err, tc.want)
		}
	}
	for _, argv := range [][]string{
		{"node", "-r", "dotenv/config", "app.js"},
		{"node", "-r", "./hook.js", "app.js"},
		{"perl", "-MPOSIX", "-I", mine, "-MApp::Conf", "-e", "1"},
		{"perl", "-I", drop, "-e", "1"},
		{"ruby", "-rjson", "-e", "1"},
		{"gawk", "-i", "inplace", "{ print }", "data"},
		{"python3", "-X", "importtime", "-c", "1"},
		// after the code of -e, an operand is its argument, not a script
		{"node", "-e", "1", drop + "/hook.js", "-r", drop + "/hook.js"},
		{"perl", "-e", "1", drop + "/hook.js"},
		{"ruby", "-e1", "--", drop + "/lib.rb"},
	} {
		if err := SwappableProgram(daemon, "command", argv, mine); err != nil {
			t.Errorf("%q in %s: %v", argv, mine, err)
		}
	}
}

// TestSwappableAtJobFile: at -f FILE and batch -f FILE queue FILE's
// shell commands as a job root runs later, so FILE is judged as a
// script, given before its time or after it; the time at takes is no
// file.
func TestSwappableAtJobFile(t *testing.T) {
	_, drop, mine := swapDirs(t, "job.sh")
	daemon := ops.WithCall(context.Background(), &ops.Call{RefuseSwappable: true})
	for _, argv := range [][]string{
		{"at", "-f", drop + "/job.sh", "now"},
		{"sudo", "batch", "-q", "b", "-f" + drop + "/job.sh"},
		{"at", "now", "+", "5", "minutes", "-f", drop + "/job.sh"},
	} {
		err := SwappableProgram(daemon, "command", argv, mine)
		if err == nil || !strings.Contains(err.Error(), "'s script is in "+drop) || !strings.Contains(err.Error(), "owned by user 1001") {
			t.Errorf("%q: %v; want it refused", argv, err)
		}
	}
	for _, argv := range [][]string{
		{"at", "-f", mine + "/job.sh", "now"},
		{"at", "-q", "b", "job.sh"},
		{"at", "-l"},
	} {
		if err := SwappableProgram(daemon, "command", argv, drop); err != nil {
			t.Errorf("%q in %s: %v", argv, drop, err)
		}
	}
}
