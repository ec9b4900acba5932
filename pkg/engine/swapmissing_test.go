package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mallory is the uid of another user of the host in the tests that play
// her attacks (files made hers with os.Chown, so only as root).
const mallory = 1001

// TestRefuseSwappableJudgesAMissingFileByItsDirectory: under
// RefuseSwappable, an input's from_file and a sub-playbook that do not
// exist yet, in a directory every user may write (sticky, like /tmp),
// are refused with the advice, not passed: another user could create
// them between the check and the read, with the run's roles. A missing
// from_file in the run's own directory still falls back to its default.
func TestRefuseSwappableJudgesAMissingFileByItsDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user")
	}
	books := t.TempDir()
	drop := filepath.Join(books, "drop")
	if err := os.Mkdir(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	parent := filepath.Join(books, "parent.yaml")
	src := `version: 1
name: parent
inputs:
  token: {type: string, from_file: drop/token, default: none}
  own: {type: string, from_file: own-token, default: mine}
steps:
  - {id: sub, op: playbook.run, when: 'inputs.token == "none"', with: {path: "${{ 'drop/sub.yaml' }}"}}
`
	if err := os.WriteFile(parent, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	e := New(registry(t), RefuseSwappable())
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	// Since the start, the directory was opened to every user, like /tmp.
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	token := filepath.Join(drop, "token")
	_, err = p.Run(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "token (from_file drop/token): the input file would be in "+drop+", a directory every user of this host may write (mode 1777), and "+token+" does not exist: any of them can create it and set the input's value") ||
		!strings.Contains(err.Error(), "keep the file in a directory of your own") {
		t.Errorf("a missing from_file in a directory every user may write: %v", err)
	}

	// Without the from_file, the sub-playbook is judged as it is read.
	if err := os.WriteFile(parent, []byte(strings.Replace(src, "from_file: drop/token, ", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil)
	sub := filepath.Join(drop, "sub.yaml")
	if s := stepOf(t, rep, "sub"); s.Status != "failed" || s.Error == nil ||
		!strings.Contains(s.Error.Message, "playbook.run drop/sub.yaml: the sub-playbook would be in "+drop+", a directory every user of this host may write (mode 1777), and "+sub+" does not exist: any of them can create it and make it run any operation") {
		t.Errorf("a missing sub-playbook in a directory every user may write: %s %+v", s.Status, s.Error)
	}
	if rep.Inputs["own"] != "mine" {
		t.Errorf("a missing from_file in the playbook's own directory: own = %v", rep.Inputs["own"])
	}

	// Mallory creates it: refused as hers.
	if err := os.WriteFile(sub, []byte("version: 1\nname: evil\nsteps:\n  - {id: a, op: control.noop}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(sub, mallory, mallory); err != nil {
		t.Fatal(err)
	}
	rep = mustRun(t, p, nil)
	if s := stepOf(t, rep, "sub"); s.Status != "failed" || s.Error == nil || !strings.Contains(s.Error.Message, "owned by user 1001") {
		t.Errorf("mallory's sub-playbook: %s %+v", s.Status, s.Error)
	}
}
