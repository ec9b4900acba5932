package auth

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestPreflightDecidesLiteralPaths: a local path written literally, made
// absolute from the playbook's directory (a sub-playbook's own), that
// lies under no file root of the step's role is denied at preflight with
// the message the operation gives, rather than allowed by validate and
// denied when the step runs, after the steps before it. Paths from
// expressions are left to the run; of a list, what is literal is judged;
// file.template reads its src from the playbook's directory too; of
// roles held side by side, a path any role allowing the step holds is
// allowed.
func TestPreflightDecidesLiteralPaths(t *testing.T) {
	reg := builtinRegistry(t)
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	x, y := filepath.Join(dir, "x"), filepath.Join(dir, "y")
	writeFile(t, dir, "sub/s.yaml", `version: 1
name: s
steps:
  - {id: w, op: file.write, with: {path: out.txt, content: hi}}
`)
	writeFile(t, dir, "x/s.yaml", `version: 1
name: s
steps:
  - {id: w, op: file.write, with: {path: out.txt, content: hi}}
`)
	pb, err := steps.Load(writeFile(t, dir, "pb.yaml", `version: 1
name: t
inputs:
  p: {type: string, default: /etc/nope}
steps:
  - {id: rel, op: file.write, with: {path: out.txt, content: hi}}
  - {id: inroot, op: file.write, with: {path: x/a.txt, content: hi}}
  - {id: dyn, op: file.write, with: {path: "${{ inputs.p }}", content: hi}}
  - {id: list, op: file.delete, with: {paths: ["${{ inputs.p }}", x/a.txt, /var/nope]}}
  - {id: both, op: file.delete, with: {paths: [x/a.txt, y/b.txt]}}
  - {id: copy, op: file.copy, with: {src: x/a.txt, dest: ../elsewhere.txt}}
  - {id: tpl, op: file.template, with: {src: t.tmpl, dest: x/o.txt}}
  - {id: tplout, op: file.template, with: {src: /opt/t.tmpl, dest: x/o.txt}}
  - {id: sh, op: shell.exec, with: {script: "true", stdout_file: /var/log/out.log}}
  - {id: arc, op: archive.create, with: {src: x, dest: /var/backups/x.tar.gz}}
  - {id: dl, op: ssh.download, with: {host: "ops@127.0.0.1", src: /etc/motd, dest: motd}}
  - {id: sub, op: playbook.run, with: {path: sub/s.yaml}}
  - {id: subx, op: playbook.run, with: {path: x/s.yaml}}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  xonly: {allow: ["*"], file_roots: [x]}
  yonly: {allow: ["*"], file_roots: [y]}
  none: {allow: ["*"], file_roots: []}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	rel := `path "out.txt" (` + filepath.Join(dir, "out.txt") + `: a relative path is taken from the playbook's directory) is outside the allowed file roots (role xonly: ` + x + `); use a path inside them, or have an admin add its directory to file_roots of role xonly in the policy file ` + filepath.Join(dir, "policy.yaml")
	ds, err := p.Preflight([]string{"xonly"}, pb, reg)
	if err != nil {
		t.Fatal(err)
	}
	wantDecisions(t, ds, map[string]string{
		"rel":    rel,
		"list":   `path "/var/nope" is outside the allowed file roots (role xonly: ` + x + `)`,
		"both":   `path "y/b.txt" (` + filepath.Join(y, "b.txt") + `: a relative path`,
		"copy":   `path "../elsewhere.txt" (` + filepath.Join(filepath.Dir(dir), "elsewhere.txt") + `: a relative path`,
		"tplout": `path "/opt/t.tmpl" is outside the allowed file roots (role xonly: ` + x + `; the playbook's directory: ` + dir + `)`,
		"sh":     `path "/var/log/out.log" is outside`,
		"arc":    `path "/var/backups/x.tar.gz" is outside`,
		"dl":     `path "motd" (` + filepath.Join(dir, "motd") + `: a relative path`,
		"sub/w":  `path "out.txt" (` + filepath.Join(dir, "sub", "out.txt") + `: a relative path is taken from the playbook's directory) is outside`,
	})
	// Held side by side, each role allows the paths it holds.
	ds, err = p.Preflight([]string{"xonly", "yonly"}, pb, reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Step == "both" && !d.Decision.Allowed {
			t.Errorf("a path of each held role: %s", d.Decision.Rule)
		}
		if d.Step == "rel" && (d.Decision.Allowed || !strings.Contains(d.Decision.Rule, "(role xonly: "+x+"; role yonly: "+y+")") ||
			!strings.Contains(d.Decision.Rule, "one call is allowed whole by one role") ||
			!strings.Contains(d.Decision.Rule, "file_roots of role xonly or role yonly in the policy file "+filepath.Join(dir, "policy.yaml"))) {
			t.Errorf("a path neither role holds: %+v; want it denied, naming each role with its own roots and the policy file", d.Decision)
		}
	}
	ds, err = p.Preflight([]string{"none"}, pb, reg)
	if err != nil {
		t.Fatal(err)
	}
	if d := ds[0].Decision; d.Allowed || !strings.Contains(d.Rule, `path "out.txt" (`+filepath.Join(dir, "out.txt")+`: a relative path is taken from the playbook's directory): role none allows no file access (it sets file_roots: []); have an admin add its directory to file_roots of role none in the policy file `+filepath.Join(dir, "policy.yaml")) {
		t.Errorf("file_roots: []: %+v", d)
	}
}
