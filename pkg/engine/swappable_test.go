package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRefuseSwappableFilesAtRunTime: under RefuseSwappable (serve and
// schedule, whose runs have roles the files' authors did not give them),
// a run refuses, as it reads them, a sub-playbook in a directory every
// user may write, an env file and an input's from_file every user may
// write, each named with the chmod that fixes it, since their writer
// would run steps with the run's roles or set its variables. Without it
// (run: a user's own files) the same files are read.
func TestRefuseSwappableFilesAtRunTime(t *testing.T) {
	books := filepath.Join(t.TempDir(), "playbooks")
	shared := filepath.Join(books, "shared")
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, src string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	chmod := func(p string, m os.FileMode) {
		t.Helper()
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	envFile, token := filepath.Join(books, ".env"), filepath.Join(books, "token")
	write(envFile, "WHO=author\n")
	write(token, "t0k3n\n")
	write(filepath.Join(shared, "sub.yaml"), "version: 1\nname: sub\nsteps:\n  - {id: a, op: control.noop}\n")
	parent := filepath.Join(books, "parent.yaml")
	write(parent, `version: 1
name: parent
env_file: .env
inputs:
  who: {type: string, env: WHO}
  token: {type: string, from_file: token, default: none}
steps:
  - {id: sub, op: playbook.run, with: {path: shared/sub.yaml}}
`)
	load := func(opts ...Option) *Plan {
		t.Helper()
		e := New(registry(t), opts...)
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
	// Loaded while every file was its owner's alone; changed since.
	chmod(shared, 0o777)
	rep := mustRun(t, guarded, nil)
	if s := stepOf(t, rep, "sub"); s.Status != "failed" || s.Error == nil ||
		!strings.Contains(s.Error.Message, "playbook.run shared/sub.yaml: the sub-playbook is in "+shared+", a directory every user of this host may write (mode 0777)") ||
		!strings.Contains(s.Error.Message, "the roles of the runs that call it") || !strings.Contains(s.Error.Message, "chmod o-w "+shared) {
		t.Errorf("a sub-playbook in a directory of mode 0777: %s %+v", s.Status, s.Error)
	}
	if s := stepOf(t, mustRun(t, plain, nil), "sub"); s.Status != "succeeded" {
		t.Errorf("run without RefuseSwappable: the sub-playbook is the user's own: %s %+v", s.Status, s.Error)
	}
	chmod(shared, 0o755)

	chmod(envFile, 0o666)
	_, err := guarded.Run(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), parent+":3:11: env_file .env: the env file's mode 0666 lets every user of this host write it") ||
		!strings.Contains(err.Error(), "chmod go-w "+envFile) {
		t.Errorf("an env file of mode 0666: %v", err)
	}
	if _, err := guarded.Environ(nil); err == nil {
		t.Error("Environ read an env file of mode 0666")
	}
	if rep := mustRun(t, plain, nil); rep.Inputs["who"] != "author" {
		t.Errorf("run without RefuseSwappable: who = %v", rep.Inputs["who"])
	}
	chmod(envFile, 0o644)

	chmod(token, 0o666)
	_, err = guarded.Run(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "token (from_file token): the input file's mode 0666 lets every user of this host write it") ||
		!strings.Contains(err.Error(), "chmod go-w "+token) {
		t.Errorf("an input file of mode 0666: %v", err)
	}
	if rep := mustRun(t, plain, nil); rep.Inputs["token"] != "t0k3n" {
		t.Errorf("run without RefuseSwappable: token = %v", rep.Inputs["token"])
	}
	chmod(token, 0o644)
	if rep := mustRun(t, guarded, nil); rep.Status != "succeeded" || rep.Inputs["token"] != "t0k3n" || rep.Inputs["who"] != "author" {
		t.Errorf("every file its owner's alone: %s %v\n%s", rep.Status, rep.Inputs, dump(rep))
	}
}
