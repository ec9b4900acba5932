package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSwapCheckJudgesASubPlaybookOutsideTheDirectory: WithSwapCheck makes
// every literal playbook.run path a problem when another user could swap
// the sub-playbook, those outside the calling playbook's directory tree
// too (an absolute path, a ../ one), which a run of serve or schedule may
// read from its file roots: the loader does not read them, but it judges
// them at start as the run will, instead of leaving the refusal to the
// first run.
func TestSwapCheckJudgesASubPlaybookOutsideTheDirectory(t *testing.T) {
	reg := fixtureRegistry(t)
	outside := t.TempDir()
	shared := filepath.Join(outside, "shared")
	if err := os.Mkdir(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(shared, "sub.yaml")
	if err := os.WriteFile(sub, []byte("version: 1\nname: sub\nsteps:\n  - {id: a, op: control.noop}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	main := filepath.Join(dir, "main.yaml")
	rel, err := filepath.Rel(dir, sub)
	if err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf(`version: 1
name: main
steps:
  - {id: a, op: playbook.run, with: {path: %q}}
  - {id: b, op: playbook.run, with: {path: %q}}
`, sub, rel)
	if err := os.WriteFile(main, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(main, reg, WithSwapCheck()); err != nil {
		t.Fatalf("a sub-playbook outside the directory, its owner's alone: %v", err)
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err = Load(main, reg, WithSwapCheck())
	for _, want := range []string{
		main + ":4:", main + ":5:",
		"the sub-playbook is in " + shared + ", a directory every user of this host may write (mode 0777)",
		"chmod o-w " + shared,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a sub-playbook outside the directory, in one of mode 0777: no %q in %v", want, err)
		}
	}
	if _, err := Load(main, reg); err != nil {
		t.Errorf("without WithSwapCheck (run: a user's own files): %v", err)
	}
}
