package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/shell"
)

// TestRefuseSwappableJudgesTheEnvFilesVariables: under RefuseSwappable
// (serve and schedule) what a playbook's env_file makes its programs load
// is judged as the step's env is: a library of LD_PRELOAD, a directory of
// PATH that another user of the host may write would have every program
// of every step (and of the sub-playbooks the run calls) run their code
// with the run's rights, while the same value in a step's env is refused.
// The step fails naming the env file's line, the variable and the
// directory; a step whose own env sets the variable (so the file's value
// never reaches the program) runs, and so does a run of the user's own.
func TestRefuseSwappableJudgesTheEnvFilesVariables(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to judge a directory as another user would see it")
	}
	dir := t.TempDir()
	books := filepath.Join(dir, "playbooks")
	drop := filepath.Join(dir, "drop")
	for _, d := range []string{books, drop} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	ran := filepath.Join(dir, "ran")
	write := func(p, src string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(books, "sub.yaml"), "version: 1\nname: sub\nsteps:\n"+
		"  - {id: inner, op: shell.exec, with: {command: [sh, -c, 'echo sub >>"+ran+"']}}\n")
	write(filepath.Join(books, ".env"), "\n")
	parent := filepath.Join(books, "parent.yaml")
	write(parent, `version: 1
name: parent
env_file: .env
steps:
  - {id: hook, op: shell.exec, continue_on_error: true, with: {command: [sh, -c, 'echo hook >>`+ran+`']}}
  - {id: own, op: shell.exec, env: {LD_PRELOAD: "", PATH: /usr/bin:/bin}, with: {command: [/bin/true]}}
  - {id: sub, op: playbook.run, continue_on_error: true, with: {path: sub.yaml}}
`)
	load := func(opts ...Option) *Plan {
		t.Helper()
		e := New(registry(t, func(r *ops.Registry) {
			if err := shell.Register(r, nil); err != nil {
				t.Fatal(err)
			}
		}), opts...)
		if err := RegisterPlaybookOp(e); err != nil {
			t.Fatal(err)
		}
		p, err := e.Load(parent)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	guarded, plain := load(RefuseSwappable()), load()
	// An API run given no variable of the server's (no
	// --env-passthrough): the env file's PATH is the programs' PATH.
	noHost := WithEnviron([]string{})
	for _, tc := range []struct{ file, name, want string }{
		{"LD_PRELOAD=" + filepath.Join(drop, "hook.so") + "\n", "LD_PRELOAD", "a library LD_PRELOAD loads would be in " + drop},
		{"# the tools\nPATH=" + drop + ":/usr/bin:/bin\n", "PATH", "a directory of PATH's mode 1777"},
	} {
		write(filepath.Join(books, ".env"), tc.file)
		os.Remove(ran)
		rep := mustRun(t, guarded, nil, noHost)
		line := strings.Count(tc.file, "\n")
		where := "env_file " + filepath.Join(books, ".env") + ":" + string(rune('0'+line)) + " " + tc.name + ": "
		for _, id := range []string{"hook", "sub"} {
			s := stepOf(t, rep, id)
			if s.Status != "failed" || s.Error == nil || !strings.Contains(s.Error.Message, where+tc.want) {
				t.Errorf("%s: step %s under RefuseSwappable: %s %+v; want it refused: %s%s", tc.name, id, s.Status, s.Error, where, tc.want)
			}
		}
		if s := stepOf(t, rep, "own"); s.Status != "succeeded" {
			t.Errorf("%s: a step whose env sets it: %s %+v", tc.name, s.Status, s.Error)
		}
		if b, err := os.ReadFile(ran); err == nil {
			t.Errorf("%s: a refused program ran: %s", tc.name, b)
		}
		if rep := mustRun(t, plain, nil, noHost); rep.Status != "succeeded" {
			t.Errorf("%s: a run of the user's own: %s\n%s", tc.name, rep.Status, dump(rep))
		}
	}
	write(filepath.Join(books, ".env"), "LD_PRELOAD=\nPATH=/usr/bin:/bin\n")
	if rep := mustRun(t, guarded, nil, noHost); rep.Status != "succeeded" {
		t.Errorf("root's directories in the env file: %s\n%s", rep.Status, dump(rep))
	}
}
