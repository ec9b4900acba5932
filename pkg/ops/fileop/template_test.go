package fileop

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

const nginxTmpl = `upstream app {
${{ join(map(values.backends, {"    server " + # + ";"}), "\n") }}
}
server {
    listen ${{ values.port }};
    server_name ${{ values.name }};
}
`

func TestTemplateWritesAndDiffs(t *testing.T) {
	e := newEnv(t)
	e.file("nginx.conf.tmpl", nginxTmpl)
	dest := filepath.Join(e.root, "conf/nginx.conf")
	values := map[string]any{"backends": []any{"10.0.0.1:80", "10.0.0.2:80"}, "port": 8080, "name": "api"}
	out, err := e.run("file.template", map[string]any{"src": "nginx.conf.tmpl", "dest": "conf/nginx.conf", "values": values, "create_dirs": true, "mode": "0640"})
	if err != nil {
		t.Fatal(err)
	}
	want := "upstream app {\n    server 10.0.0.1:80;\n    server 10.0.0.2:80;\n}\nserver {\n    listen 8080;\n    server_name api;\n}\n"
	if got := read(t, dest); got != want {
		t.Errorf("rendered (-want +got):\n%s", cmp.Diff(want, got))
	}
	if perm(t, dest) != 0o640 {
		t.Errorf("mode %v", perm(t, dest))
	}
	if out["changed"] != true || out["bytes"] != len(want) || !strings.HasPrefix(out["diff"].(string), "--- /dev/null\n+++ "+dest+"\t(rendered)\n@@ -0,0 +1,8 @@\n+upstream app {\n") {
		t.Errorf("first render: %v", out)
	}

	// The same values again: nothing changes, nothing is written.
	before, _ := os.Stat(dest)
	out, err = e.run("file.template", map[string]any{"src": "nginx.conf.tmpl", "dest": "conf/nginx.conf", "values": values})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"changed": false, "diff": "", "path": dest, "bytes": len(want)}, out); diff != "" {
		t.Errorf("unchanged (-want +got):\n%s", diff)
	}
	if after, _ := os.Stat(dest); !os.SameFile(before, after) {
		t.Error("an unchanged render replaced the file")
	}

	// check: true reports the diff and writes nothing.
	values["port"] = 9090
	out, err = e.run("file.template", map[string]any{"src": "nginx.conf.tmpl", "dest": "conf/nginx.conf", "values": values, "check": true})
	if err != nil {
		t.Fatal(err)
	}
	wantDiff := "--- " + dest + "\t(current)\n+++ " + dest + "\t(rendered)\n" +
		"@@ -3,6 +3,6 @@\n     server 10.0.0.2:80;\n }\n server {\n-    listen 8080;\n+    listen 9090;\n     server_name api;\n }\n"
	if diff := cmp.Diff(map[string]any{"changed": true, "diff": wantDiff, "path": dest, "bytes": len(want)}, out); diff != "" {
		t.Errorf("check (-want +got):\n%s", diff)
	}
	if read(t, dest) != want {
		t.Error("check: true wrote the file")
	}
	// Without check the same diff is applied; the mode is kept.
	out, err = e.run("file.template", map[string]any{"src": "nginx.conf.tmpl", "dest": "conf/nginx.conf", "values": values})
	if err != nil || out["diff"] != wantDiff || !strings.Contains(read(t, dest), "listen 9090;") || perm(t, dest) != 0o640 {
		t.Errorf("apply: %v %v, mode %v", out, err, perm(t, dest))
	}
	// A mode change alone is a change.
	out, err = e.run("file.template", map[string]any{"src": "nginx.conf.tmpl", "dest": "conf/nginx.conf", "values": values, "mode": "0600"})
	if err != nil || out["changed"] != true || out["diff"] != "" || perm(t, dest) != 0o600 {
		t.Errorf("mode change: %v %v, mode %v", out, err, perm(t, dest))
	}
	entries, _ := os.ReadDir(filepath.Dir(dest))
	if len(entries) != 1 {
		t.Errorf("files beside dest: %v", entries)
	}
}

func TestTemplateInlineAndPlaybookDir(t *testing.T) {
	e := newEnv(t)
	// A template beside the playbook, outside the file roots, may be read.
	pbDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(pbDir, "motd.tmpl"), []byte("welcome to ${{ values.host }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(e.root, "motd")
	params := map[string]any{"src": "motd.tmpl", "dest": dest, "values": map[string]any{"host": "db1"}}
	// Only a src the playbook writes: one an expression computes (from a
	// caller's input, say) is read only inside the roots.
	e.ctx = ops.WithCall(context.Background(), &ops.Call{Dir: pbDir, Scope: scope{[]string{e.root}}})
	if _, err := e.run("file.template", params); !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "src is computed by an expression") {
		t.Fatalf("computed src beside the playbook: %v, want denied saying why", err)
	}
	e.ctx = ops.WithCall(context.Background(), &ops.Call{Dir: pbDir, Scope: scope{[]string{e.root}}, Literal: literalSrc{}})
	if _, err := e.run("file.template", params); err != nil {
		t.Fatal(err)
	}
	if read(t, dest) != "welcome to db1\n" {
		t.Errorf("motd: %q", read(t, dest))
	}
	// Inline content: the op sees ${{ }} once the playbook's $${{ is unescaped.
	out, err := e.run("file.template", map[string]any{"content": "a=${{ values.a * 2 }}\n", "dest": dest, "values": map[string]any{"a": 21}})
	if err != nil || read(t, dest) != "a=42\n" || out["diff"] != "--- "+dest+"\t(current)\n+++ "+dest+"\t(rendered)\n@@ -1 +1 @@\n-welcome to db1\n+a=42\n" {
		t.Errorf("inline: %v %v %q", out, err, read(t, dest))
	}
}

func TestTemplateFailures(t *testing.T) {
	e := newEnv(t)
	e.file("ok.tmpl", "x=${{ values.x }}\n")
	e.file("bad.tmpl", "line one\nport=${{ values.prot }}\n")
	secret := e.file(filepath.Join(e.out, "secret.tmpl"), "s")
	if err := os.Symlink(e.out, filepath.Join(e.root, "dir-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("ok.tmpl", filepath.Join(e.root, "link")); err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{"x": 1, "port": 2}
	tests := []struct {
		raw   map[string]any
		class ops.Class
		want  string
	}{
		{map[string]any{"src": "bad.tmpl", "dest": "out", "values": vals}, ops.ClassValidation, `bad.tmpl:2:10: expression ` + "`values.prot`" + `: unknown value "prot" (did you mean "port"?)`},
		{map[string]any{"content": "${{ values.x", "dest": "out"}, ops.ClassValidation, "param content: line 1, column 1 of the template: ${{ is not closed"},
		{map[string]any{"content": "${{ values.x.y.z }}", "dest": "out", "values": vals}, ops.ClassValidation, "content:1:"},
		{map[string]any{"src": "missing.tmpl", "dest": "out"}, ops.ClassExecution, "template missing.tmpl does not exist"},
		{map[string]any{"src": secret, "dest": "out"}, ops.ClassAuthorization, "file_roots"},
		{map[string]any{"src": "ok.tmpl", "dest": "dir-out/planted", "values": vals}, ops.ClassAuthorization, "file_roots"},
		{map[string]any{"src": "ok.tmpl", "dest": "link", "values": vals}, ops.ClassExecution, "is a symlink"},
		{map[string]any{"src": "ok.tmpl", "dest": "sub", "values": vals}, ops.ClassExecution, "not a regular file"},
		{map[string]any{"src": "ok.tmpl", "dest": "a/b/c", "values": vals}, ops.ClassExecution, "create_dirs: true"},
		{map[string]any{"dest": "out"}, ops.ClassValidation, "give src (a template file) or content"},
		{map[string]any{"src": "ok.tmpl", "content": "x", "dest": "out"}, ops.ClassValidation, "not both"},
		{map[string]any{"src": "ok.tmpl", "dest": "out", "mode": "0999"}, ops.ClassValidation, "octal"},
	}
	for _, tc := range tests {
		_, err := e.run("file.template", tc.raw)
		if err == nil || ops.ClassOf(err) != tc.class || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("template %v: %v (class %s), want %s containing %q", tc.raw, err, ops.ClassOf(err), tc.class, tc.want)
		}
	}
	for _, p := range []string{filepath.Join(e.root, "out"), filepath.Join(e.out, "planted")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written by a failed render", p)
		}
	}
	if read(t, filepath.Join(e.root, "ok.tmpl")) != "x=${{ values.x }}\n" {
		t.Error("the symlink's target was written")
	}
}

// TestInlineTemplateCheckedWhenLoaded: an inline template whose values
// are known when the playbook is loaded is compiled then, so validate
// finds its errors, at their line and column, before anything runs; one
// whose values are still to be computed waits for the run.
func TestInlineTemplateCheckedWhenLoaded(t *testing.T) {
	r := ops.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	e, _ := r.Get("file.template")
	tests := []struct {
		raw  map[string]any
		want string // "" for no error
	}{
		{map[string]any{"content": "a\nport ${{ values.prot }}\n", "dest": "out", "values": map[string]any{"port": 80}},
			`param content: line 2, column 10 of the template: expression ` + "`values.prot`" + `: unknown value "prot" (did you mean "port"?)`},
		{map[string]any{"content": "x ${{ values.port + }}", "dest": "out", "values": map[string]any{"port": 80}},
			"param content: line 1, column "},
		{map[string]any{"content": "x ${{ values.port }}", "dest": "out"}, `param content: line 1, column 7 of the template: expression ` + "`values.port`" + `: unknown value "port"`},
		{map[string]any{"content": "x ${{ values.port }}", "dest": "out", "values": map[string]any{"port": 80}}, ""},
		{map[string]any{"content": "x ${{ values.prot }}", "dest": "out", "values": ops.Deferred}, ""},
		{map[string]any{"content": ops.Deferred, "dest": "out", "values": map[string]any{}}, ""},
	}
	for _, tc := range tests {
		_, err := e.Validate(tc.raw, false)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v, want no error", tc.raw, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: %v, want an error containing %q", tc.raw, err, tc.want)
		}
	}
}

func TestTemplateRisk(t *testing.T) {
	r := ops.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	e, _ := r.Get("file.template")
	for _, tc := range []struct {
		params map[string]any
		want   ops.Risk
	}{
		{map[string]any{"check": true}, ops.RiskRead},
		{map[string]any{"check": false}, ops.RiskWrite},
		{map[string]any{"check": ops.Deferred}, ops.RiskWrite},
		{map[string]any{}, ops.RiskWrite},
	} {
		if got := e.RiskFor(tc.params); got != tc.want {
			t.Errorf("RiskFor(%v) = %s, want %s", tc.params, got, tc.want)
		}
	}
}

// TestModeStillToBeComputedIsDestructive: a mode computed when the step
// runs may be setuid, which is destructive; preflight counts it so, where
// it counted a write and the step was denied halfway through the run.
func TestModeStillToBeComputedIsDestructive(t *testing.T) {
	r := ops.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"file.write", "file.template", "file.chmod", "file.mkdir"} {
		e, _ := r.Get(name)
		for _, tc := range []struct {
			mode any
			want ops.Risk
		}{
			{ops.Deferred, ops.RiskDestructive},
			{"4755", ops.RiskDestructive},
			{"0644", ops.RiskWrite},
		} {
			if got := e.RiskFor(ops.Params{"path": "x", "mode": tc.mode}); got != tc.want {
				t.Errorf("%s with mode %v: %s, want %s", name, tc.mode, got, tc.want)
			}
		}
		if got := e.RiskFor(ops.Params{"path": "x", "content": ops.Deferred}); got != ops.RiskWrite {
			t.Errorf("%s with computed content and no mode: %s, want write", name, got)
		}
	}
}

// TestTemplateDiffNamesLineEnds: a file saved with CRLF, rendered with
// LF, differs on lines that look alike in the diff; its labels say which
// line ends each side has, and say nothing when both have the same.
func TestTemplateDiffNamesLineEnds(t *testing.T) {
	e := newEnv(t)
	dest := e.file("app.conf", "port=80\r\nhost=a\r\n")
	out, err := e.run("file.template", map[string]any{"content": "port=80\nhost=a\n", "dest": "app.conf", "check": true})
	if err != nil {
		t.Fatal(err)
	}
	want := "--- " + dest + "\t(current, CRLF line ends)\n+++ " + dest + "\t(rendered, LF line ends)\n" +
		"@@ -1,2 +1,2 @@\n-port=80\r\n-host=a\r\n+port=80\n+host=a\n"
	if out["changed"] != true || out["diff"] != want {
		t.Errorf("CRLF to LF: changed %v, diff (-want +got):\n%s", out["changed"], cmp.Diff(want, out["diff"]))
	}
	out, err = e.run("file.template", map[string]any{"content": "port=81\r\nhost=a\r\n", "dest": "app.conf", "check": true})
	if err != nil || !strings.HasPrefix(out["diff"].(string), "--- "+dest+"\t(current)\n+++ "+dest+"\t(rendered)\n") {
		t.Errorf("CRLF to CRLF: %v %q", err, out["diff"])
	}
	if read(t, dest) != "port=80\r\nhost=a\r\n" {
		t.Errorf("check: true wrote %q", read(t, dest))
	}
}

// A render whose step was cancelled or timed out stops with the cause, even
// under a role that may only read (check: true), instead of looping on in
// an abandoned goroutine of the server.
func TestTemplateStopsWhenCancelled(t *testing.T) {
	e := newEnv(t)
	cause := errors.New("step timeout of 1s exceeded")
	ctx, cancel := context.WithCancelCause(e.ctx)
	cancel(cause)
	_, err := opstest.Execute(e.r, ctx, "file.template", map[string]any{
		"content": "${{ let r = 1..5000; sum(r, sum(r, #)) }}\n", "dest": "out.conf", "check": true,
	})
	if !errors.Is(err, cause) {
		t.Fatalf("got %v, want the context's cause", err)
	}
}

// literalSrc is a step that writes its src as a literal value.
type literalSrc struct{}

func (literalSrc) LiteralParam(name string) (any, bool) { return nil, name == "src" }
