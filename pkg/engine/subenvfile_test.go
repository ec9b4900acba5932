package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
)

// TestSubPlaybookEnvFileStaysInRoots checks that a sub-playbook read from
// the caller's file roots, outside the calling playbook's directory tree,
// reads its env_file only as a file operation of the caller's would: one
// in the playbooks dir of a daemon, which no file operation touches,
// denies the step instead of handing the caller its variables. A
// sub-playbook beside its caller reads the env file beside it, and one in
// the roots reads an env file there.
func TestSubPlaybookEnvFileStaysInRoots(t *testing.T) {
	base := t.TempDir()
	books, data := filepath.Join(base, "playbooks"), filepath.Join(base, "data")
	for _, d := range []string{books, data} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, src string) {
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reader := func(name, envFile string) string {
		return "version: 1\nname: " + name + "\nenv_file: " + envFile + "\n" +
			"steps:\n  - {id: a, op: control.noop}\noutputs:\n  x: \"${{ env.DB_PASSWORD ?? 'unset' }}\"\n"
	}
	write(filepath.Join(books, ".env"), "DB_PASSWORD=top-secret-db-password\n")
	write(filepath.Join(books, "beside.yaml"), reader("beside", ".env"))
	write(filepath.Join(base, "planted.yaml"), reader("planted", "playbooks/.env"))
	write(filepath.Join(data, "vals.env"), "DB_PASSWORD=in-roots-value\n")
	write(filepath.Join(data, "inroots.yaml"), reader("inroots", "vals.env"))
	parent := filepath.Join(books, "parent.yaml")
	write(parent, `version: 1
name: parent
inputs:
  where: {type: string, default: `+base+`}
steps:
  - {id: beside, needs: [], op: playbook.run, continue_on_error: true, with: {path: beside.yaml}}
  - {id: planted, needs: [], op: playbook.run, continue_on_error: true, with: {path: "${{ inputs.where }}/planted.yaml"}}
  - {id: inroots, needs: [], op: playbook.run, continue_on_error: true, with: {path: "${{ inputs.where }}/data/inroots.yaml"}}
`)
	fsroot.ProtectPlaybooks(books, "playbooks dir")
	e := New(registry(t), WithAuthorizer(scoped{rootsScope{[]string{base}}}))
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil)
	got := func(id string) any {
		out, _ := stepOf(t, rep, id).Output.(map[string]any)
		outputs, _ := out["outputs"].(map[string]any)
		return outputs["x"]
	}
	if s := stepOf(t, rep, "beside"); s.Status != "succeeded" || got("beside") != "top-secret-db-password" {
		t.Errorf("a sub-playbook beside its caller: %s %+v, x = %v", s.Status, s.Error, got("beside"))
	}
	if s := stepOf(t, rep, "planted"); s.Status != "denied" || s.Error == nil || s.Error.Class != "authorization" ||
		!strings.Contains(s.Error.Message, "env_file playbooks/.env: denied") ||
		!strings.Contains(s.Error.Message, "its env_file is read only inside the caller's file roots") {
		t.Errorf("planted: %s %+v, want it denied for its env_file in the playbooks dir", s.Status, s.Error)
	}
	if s := stepOf(t, rep, "inroots"); s.Status != "succeeded" || got("inroots") != "in-roots-value" {
		t.Errorf("an env file inside the roots: %s %+v, x = %v", s.Status, s.Error, got("inroots"))
	}
	for i := range rep.Steps {
		if rep.Steps[i].ID == "beside" { // the author's choice: it may read it
			rep.Steps[i].Output, rep.Steps[i].Sub = nil, nil
		}
	}
	if all := dump(rep); strings.Contains(all, "top-secret") {
		t.Errorf("the report holds the env file the caller may not read:\n%s", all)
	}
}

// TestSubPlaybookInRootsInheritsNoEnvFile checks that a sub-playbook read
// from the caller's file roots does not inherit the variables of its
// callers' env files, which the runner read with its own rights: a served
// playbook's env file beside it reached a playbook the caller wrote, and
// through its outputs the caller. A sub-playbook beside its caller
// inherits them, and one in the roots still reads its own env files.
func TestSubPlaybookInRootsInheritsNoEnvFile(t *testing.T) {
	base := t.TempDir()
	books, data := filepath.Join(base, "playbooks"), filepath.Join(base, "data")
	for _, d := range []string{books, data} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, src string) {
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reader := func(name, extra string) string {
		return "version: 1\nname: " + name + "\n" + extra +
			"steps:\n  - {id: a, op: control.noop}\noutputs:\n  x: \"${{ env.DB_PASSWORD ?? 'unset' }}\"\n  y: \"${{ env.OWN ?? 'unset' }}\"\n"
	}
	write(filepath.Join(books, ".env"), "DB_PASSWORD=top-secret-db-password\n")
	write(filepath.Join(books, "beside.yaml"), reader("beside", ""))
	write(filepath.Join(data, "own.env"), "OWN=in-roots-value\n")
	write(filepath.Join(data, "planted.yaml"), reader("planted", "env_file: own.env\n"))
	write(filepath.Join(data, "chain.yaml"), "version: 1\nname: chain\nsteps:\n  - {id: next, op: playbook.run, with: {path: planted.yaml}}\n"+
		"outputs:\n  x: \"${{ steps.next.output.outputs.x }}\"\n  y: \"${{ steps.next.output.outputs.y }}\"\n")
	parent := filepath.Join(books, "parent.yaml")
	write(parent, `version: 1
name: parent
env_file: .env
inputs:
  where: {type: string, default: `+data+`}
steps:
  - {id: beside, needs: [], op: playbook.run, with: {path: beside.yaml}}
  - {id: planted, needs: [], op: playbook.run, with: {path: "${{ inputs.where }}/planted.yaml"}}
  - {id: chain, needs: [], op: playbook.run, with: {path: "${{ inputs.where }}/chain.yaml"}}
`)
	e := New(registry(t), WithAuthorizer(scoped{rootsScope{[]string{data}}}))
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil)
	got := func(id, name string) any {
		out, _ := stepOf(t, rep, id).Output.(map[string]any)
		outputs, _ := out["outputs"].(map[string]any)
		return outputs[name]
	}
	for id, want := range map[string][2]string{
		"beside":  {"top-secret-db-password", "unset"},
		"planted": {"unset", "in-roots-value"},
		"chain":   {"unset", "in-roots-value"},
	} {
		if s := stepOf(t, rep, id); s.Status != "succeeded" || got(id, "x") != want[0] || got(id, "y") != want[1] {
			t.Errorf("%s: %s %+v, x = %v, y = %v; want x = %s, y = %s", id, s.Status, s.Error, got(id, "x"), got(id, "y"), want[0], want[1])
		}
	}
}
