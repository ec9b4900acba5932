package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// housekeeping is a playbook that chains the housekeeping operations: a
// script reports values through $ARSENAL_OUTPUT, a template renders them,
// old files are found and deleted, a log is rotated and a directory packed
// and unpacked. ROOT is replaced by the test's directory.
const housekeeping = `version: 1
name: housekeeping-e2e
steps:
  - id: probe
    op: shell.exec
    with:
      shell: bash
      script: |
        for i in {1..2}; do echo "tick $i"; done
        echo "version=2.4.1" >> "$ARSENAL_OUTPUT"
        echo "whoami=$ARSENAL_PLAYBOOK/$ARSENAL_STEP_ID" >> "$ARSENAL_OUTPUT"
      stdout_file: ROOT/probe.log
  - id: render
    op: file.template
    needs: [probe]
    with:
      dest: ROOT/app.conf
      content: |
        version = $${{ values.version }}
        from = $${{ values.from }}
      values:
        version: "${{ steps.probe.output.values.version }}"
        from: "${{ steps.probe.output.values.whoami }}"
  - id: preview
    op: file.template
    needs: [render]
    with:
      dest: ROOT/app.conf
      content: "version = next\n"
      check: true
  - id: old
    op: file.find
    with: {path: ROOT/cache, pattern: "*.tmp", older_than: 7d}
  - id: clean
    op: file.delete
    needs: [old]
    with: {paths: "${{ steps.old.output.paths }}"}
  - id: rotate
    op: file.rotate
    with: {path: ROOT/app.log, keep: 2, compress: true}
  - id: pack
    op: archive.create
    needs: [render, clean]
    with: {src: ROOT/cache, dest: ROOT/cache.tar.gz}
  - id: unpack
    op: archive.extract
    needs: [pack]
    with: {src: ROOT/cache.tar.gz, dest: ROOT/restored}
`

func TestHousekeepingOpsEndToEnd(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	root := t.TempDir()
	week := 8 * 24 * time.Hour
	for name, age := range map[string]time.Duration{"cache/a.tmp": week, "cache/b.tmp": week, "cache/new.tmp": 0, "cache/keep.txt": week} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-age)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "app.log"), []byte("yesterday\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pb := filepath.Join(root, "housekeeping.yaml")
	if err := os.WriteFile(pb, []byte(strings.ReplaceAll(housekeeping, "ROOT", root)), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runMain(t, "validate", pb)
	res.want(t, ExitOK, nil, nil)

	// A dry run executes only reads: the template's check runs and shows
	// its diff; the writes and deletes do not run.
	rp := filepath.Join(root, "dry.json")
	res = runMain(t, "run", pb, "--dry-run", "--role", "admin", "--report", rp)
	if res.code != ExitOK {
		t.Fatalf("dry run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, s := range readReport(t, rp).Steps {
		if s.ID == "preview" {
			out, _ := s.Output.(map[string]any)
			if d, _ := out["diff"].(string); s.Status != report.StatusSucceeded || !strings.HasPrefix(d, "--- /dev/null\n") || !strings.Contains(d, "+version = next\n") {
				t.Errorf("dry run: file.template with check: true %s %v", s.Status, out)
			}
		}
		if s.ID == "old" && s.Status != report.StatusSucceeded {
			t.Errorf("dry run: file.find %s", s.Status)
		}
		if s.ID == "clean" && s.Status != report.StatusSkipped {
			t.Errorf("dry run: file.delete %s", s.Status)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "cache/a.tmp")); err != nil {
		t.Fatal("the dry run deleted a file")
	}

	rp = filepath.Join(root, "report.json")
	res = runMain(t, "run", pb, "--role", "admin", "--report", rp)
	if res.code != ExitOK {
		t.Fatalf("run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	outputs := map[string]map[string]any{}
	for _, s := range readReport(t, rp).Steps {
		if s.Status != report.StatusSucceeded {
			t.Errorf("step %s: %s %+v", s.ID, s.Status, s.Error)
		}
		outputs[s.ID], _ = s.Output.(map[string]any)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "app.conf")); string(b) != "version = 2.4.1\nfrom = housekeeping-e2e/probe\n" {
		t.Errorf("rendered app.conf: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "probe.log")); string(b) != "tick 1\ntick 2\n" {
		t.Errorf("probe.log: %q", b)
	}
	if d, _ := outputs["preview"]["diff"].(string); outputs["preview"]["changed"] != true || !strings.Contains(d, "-version = 2.4.1\n") || !strings.Contains(d, "+version = next\n") {
		t.Errorf("preview: %v", outputs["preview"])
	}
	if outputs["clean"]["deleted"] != 2 {
		t.Errorf("clean: %v", outputs["clean"])
	}
	for name, want := range map[string]bool{"cache/a.tmp": false, "cache/b.tmp": false, "cache/new.tmp": true, "cache/keep.txt": true, "app.log.1": true, "restored/new.tmp": true, "restored/keep.txt": true} {
		if _, err := os.Stat(filepath.Join(root, name)); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", name, err == nil, want)
		}
	}
}

// TestFileRootsWidenedByPolicy follows docs/authorization.md, "Widening
// file_roots": a directory outside the working directory and the temp
// directory is denied even for admin, with a message that names file_roots
// as the fix, and allowed once the policy gives admin that root.
func TestFileRootsWidenedByPolicy(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	outside, err := os.MkdirTemp("/dev/shm", "arsenal-roots-")
	if err != nil {
		t.Skip("no /dev/shm to stand for a directory outside the defaults")
	}
	t.Cleanup(func() { os.RemoveAll(outside) })
	if err := os.WriteFile(filepath.Join(outside, "old.log"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pb := filepath.Join(dir, "find.yaml")
	if err := os.WriteFile(pb, []byte("version: 1\nname: find-outside\ninputs:\n  dir: {type: string}\nsteps:\n  - id: find\n    op: file.find\n    with: {path: \"${{ inputs.dir }}\", pattern: \"*.log\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rp := filepath.Join(dir, "denied.json")
	res := runMain(t, "run", pb, "--role", "admin", "--input", "dir="+outside, "--report", rp)
	if res.code != ExitDenied {
		t.Fatalf("exit %d, want %d\n%s%s", res.code, ExitDenied, res.stdout, res.stderr)
	}
	r := readReport(t, rp)
	if len(r.Steps) != 1 || r.Steps[0].Status != report.StatusDenied || !strings.Contains(r.Steps[0].Reason, "file_roots of role admin in a policy file given with --policy") || !strings.Contains(r.Steps[0].Reason, outside) {
		t.Errorf("denied step: %s %q", r.Steps[0].Status, r.Steps[0].Reason)
	}
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte("version: 1\nroles:\n  admin:\n    allow: [\"*\"]\n    file_roots: ["+outside+"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rp = filepath.Join(dir, "allowed.json")
	res = runMain(t, "run", pb, "--role", "admin", "--policy", policy, "--input", "dir="+outside, "--report", rp)
	if res.code != ExitOK {
		t.Fatalf("with the policy: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	out, _ := readReport(t, rp).Steps[0].Output.(map[string]any)
	if out["count"] != 1 {
		t.Errorf("find with the widened roots: %v", out)
	}
}

// TestTemplateContentTakesInputsAsData: an input interpolated into
// file.template's content is text, never a template expression of its own:
// a caller cannot read another value (a secret) through it.
func TestTemplateContentTakesInputsAsData(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	root := t.TempDir()
	pb := filepath.Join(root, "motd.yaml")
	if err := os.WriteFile(pb, []byte(strings.ReplaceAll(`version: 1
name: motd
inputs:
  motd: {type: string}
  db_pass: {type: string, secret: true}
steps:
  - id: cfg
    op: file.template
    with:
      dest: ROOT/out.conf
      content: "motd=${{ inputs.motd }}\npassword=$${{ values.pw }}\nlone=${{ inputs.motd }}"
      values: {pw: "${{ inputs.db_pass }}"}
  - id: whole
    op: file.template
    with:
      dest: ROOT/whole.conf
      content: "${{ inputs.motd }}"
      values: {pw: "${{ inputs.db_pass }}"}
`, "ROOT", root)), 0o644); err != nil {
		t.Fatal(err)
	}
	motd := `${{ upper(values.pw) }} $${{ values.pw }}`
	res := runMain(t, "run", pb, "--role", "admin", "--input", "db_pass=S3cretPW", "--input", "motd="+motd)
	if res.code != ExitOK {
		t.Fatalf("run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	b, _ := os.ReadFile(filepath.Join(root, "out.conf"))
	if want := "motd=" + motd + "\npassword=S3cretPW\nlone=" + motd; string(b) != want {
		t.Errorf("out.conf:\n%s\nwant:\n%s", b, want)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "whole.conf")); string(b) != motd {
		t.Errorf("whole.conf: %q, want %q", b, motd)
	}
	if strings.Contains(res.stdout+res.stderr, "S3CRETPW") {
		t.Errorf("the secret was shown changed:\n%s%s", res.stdout, res.stderr)
	}
	// Two values side by side cannot make a ${{ of their own.
	if err := os.WriteFile(pb, []byte(strings.ReplaceAll(`version: 1
name: motd
inputs:
  a: {type: string}
  b: {type: string}
  db_pass: {type: string, secret: true}
steps:
  - id: cfg
    op: file.template
    with:
      dest: ROOT/pair.conf
      content: "motd=${{ inputs.a }}${{ inputs.b }}"
      values: {pw: "${{ inputs.db_pass }}"}
  - id: own
    op: file.template
    with:
      dest: ROOT/own.conf
      content: "${{ inputs.a }}$${{ values.pw }}"
      values: {pw: "${{ inputs.db_pass }}"}
`, "ROOT", root)), 0o644); err != nil {
		t.Fatal(err)
	}
	res = runMain(t, "run", pb, "--role", "admin", "--input", "db_pass=S3cretPW", "--input", "a=hi $", "--input", "b={{ upper(values.pw) }}")
	if b, _ := os.ReadFile(filepath.Join(root, "pair.conf")); string(b) != "motd=hi ${{ upper(values.pw) }}" {
		t.Errorf("pair.conf: %q\n%s%s", b, res.stdout, res.stderr)
	}
	if res.code == ExitOK || !strings.Contains(res.stdout+res.stderr, "ends with $ just before the template's own ${{") {
		t.Errorf("a value ending in $ before the template's own expression: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}
