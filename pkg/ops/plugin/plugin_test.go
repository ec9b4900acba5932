package plugin_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// python is the absolute path of a python3 interpreter, for the #! line of
// the test's scripts (they run without PATH).
func python(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Skip("python3 is not available")
	}
	return strings.TrimSpace(string(out))
}

// write writes an executable (mode 0755) or a manifest (0644) into dir.
func write(t *testing.T, dir, name, text string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// addPlugin writes a program and its manifest into dir.
func addPlugin(t *testing.T, dir, name, program, manifest string) {
	t.Helper()
	write(t, dir, name+".prog", program, 0o755)
	write(t, dir, name+".yaml", manifest, 0o644)
}

func registry(t *testing.T, dir string, opt plugin.Options) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := builtin.Register(r, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := engine.RegisterPlaybookOp(engine.New(r)); err != nil {
		t.Fatal(err)
	}
	if err := plugin.Load(dir, r, opt); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func callCtx(env ...string) context.Context {
	return ops.WithCall(context.Background(), &ops.Call{RunID: "run-1", Playbook: "pb", Step: "greet", Environ: env})
}

const greetPy = `#!PYTHON
import json, sys
req = json.load(sys.stdin)
print("greeting", req["params"]["who"], file=sys.stderr)
json.dump({"greeting": "hello " + req["params"]["who"], "run": req["run"], "times": req["params"].get("times", 1)}, sys.stdout)
`

const greetManifest = `version: 1
name: acme.greet
category: acme
description: Greet someone.
risk: read
command: [./greet.prog]
timeout: 30s
env: [LANG]
params:
  type: object
  properties:
    who: {type: string, minLength: 2, description: whom to greet}
    times: {type: integer, minimum: 1, maximum: 3, default: 1}
  required: [who]
output:
  type: object
  properties:
    greeting: {type: string}
    times: {type: integer}
  required: [greeting]
`

func TestSuccessPython(t *testing.T) {
	dir := t.TempDir()
	addPlugin(t, dir, "greet", strings.Replace(greetPy, "PYTHON", python(t), 1), greetManifest)
	reg := registry(t, dir, plugin.Options{})
	out, err := opstest.Execute(reg, callCtx("LANG=C"), "acme.greet", map[string]any{"who": "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ops.ResourcesOf(out); !ok {
		t.Errorf("no resources in %v", out)
	}
	delete(out, ops.ResourcesKey)
	want := map[string]any{"greeting": "hello ada", "times": 1, "run": map[string]any{"id": "run-1", "step": "greet", "playbook": "pb"}}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	e, _ := reg.Get("acme.greet")
	if e.Spec.Risk != ops.RiskRead || len(e.Spec.Params) != 2 || !e.Spec.Params[1].Required || e.Spec.Params[1].Name != "who" ||
		!strings.HasPrefix(e.Spec.Description, "Greet someone.") || e.Spec.Params[0].Default != 1 {
		t.Errorf("spec: %+v", e.Spec)
	}
}

func TestSuccessShell(t *testing.T) {
	dir := t.TempDir()
	addPlugin(t, dir, "sum", `#!/bin/sh
read -r line
printf '{"got": %s}\n' "$line"
`, "version: 1\nname: acme.sum\ncategory: acme\ndescription: Echo the request.\nrisk: write\ncommand: [./sum.prog]\nparams: {type: object, properties: {n: {type: number}}}\n")
	out, err := opstest.Execute(registry(t, dir, plugin.Options{}), callCtx(), "acme.sum", map[string]any{"n": 2.5})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"params": map[string]any{"n": 2.5}, "run": map[string]any{"id": "run-1", "step": "greet", "playbook": "pb"}}
	if diff := cmp.Diff(want, out["got"]); diff != "" {
		t.Errorf("stdin the plugin got (-want +got):\n%s", diff)
	}
}

// TestYmlManifest: a manifest named .yml is read as .yaml is, as
// playbook directories are.
func TestYmlManifest(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "hi.prog", "#!/bin/sh\nread -r line\necho '{\"hi\": true}'\n", 0o755)
	write(t, dir, "hi.yml", "version: 1\nname: acme.hi\ncategory: acme\ndescription: Say hi.\nrisk: read\ncommand: [./hi.prog]\nparams: {type: object}\n", 0o644)
	out, err := opstest.Execute(registry(t, dir, plugin.Options{}), callCtx(), "acme.hi", map[string]any{})
	if err != nil || out["hi"] != true {
		t.Fatalf("the .yml plugin: %v, %v", out, err)
	}
}

// TestProtocolFailures: each way a program can break the protocol is an
// execution error (timeout: class timeout) that names the plugin.
func TestProtocolFailures(t *testing.T) {
	py := python(t)
	cases := []struct {
		name, program, extra string
		class                ops.Class
		want                 []string
	}{
		{"schema-invalid output", "#!/bin/sh\necho '{\"greeting\": 5}'\n", "", ops.ClassExecution,
			[]string{"plugin acme.p: its output does not match the output schema of p.yaml", "greeting"}},
		{"timeout", "#!/bin/sh\necho starting >&2\nsleep 30\n", "timeout: 300ms\n", ops.ClassTimeout,
			[]string{"plugin acme.p ran longer than its timeout of 300ms and was stopped", "starting"}},
		{"crash", "#!" + py + "\nimport os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", "", ops.ClassExecution,
			[]string{"plugin acme.p was killed by SIGSEGV"}},
		{"garbage on stdout", "#!/bin/sh\necho 'hello, I am not JSON'\n", "", ops.ClassExecution,
			[]string{"plugin acme.p printed invalid JSON on stdout", `stdout starts with "hello, I am not JSON`}},
		{"two values", "#!/bin/sh\necho '{\"greeting\": \"a\"} {\"greeting\": \"b\"}'\n", "", ops.ClassExecution,
			[]string{"plugin acme.p printed more than one JSON value"}},
		{"an array", "#!/bin/sh\necho '[1, 2]'\n", "", ops.ClassExecution,
			[]string{"plugin acme.p printed a JSON array on stdout, not an object"}},
		{"nothing", "#!/bin/sh\necho 'only on stderr' >&2\n", "", ops.ClassExecution,
			[]string{"plugin acme.p printed nothing on stdout", "only on stderr"}},
		{"too much", "#!/bin/sh\nhead -c 5000 /dev/zero | tr '\\0' x\n", "", ops.ClassExecution,
			[]string{"plugin acme.p wrote more than 1000 bytes to stdout, the output limit"}},
		{"error object", "#!/bin/sh\necho '{\"error\": {\"class\": \"validation\", \"message\": \"no such user\"}}'\nexit 3\n", "", ops.ClassValidation,
			[]string{"plugin acme.p: no such user"}},
		{"unknown error class", "#!/bin/sh\necho '{\"error\": {\"class\": \"weird\", \"message\": \"oops\"}}'\nexit 1\n", "", ops.ClassExecution,
			[]string{"plugin acme.p: oops"}},
		{"error object with exit 0", "#!/bin/sh\necho '{\"error\": {\"class\": \"validation\", \"message\": \"no such user\"}}'\n", "", ops.ClassValidation,
			[]string{"plugin acme.p: no such user", "exited with code 0; a plugin that fails must exit non-zero"}},
		{"answer with a non-zero exit", "#!/bin/sh\necho '{\"greeting\": \"hi\"}'\necho 'late' >&2\nexit 2\n", "", ops.ClassExecution,
			[]string{"plugin acme.p exited with code 2 without an error object on stdout; stdout starts with \"{\\\"greeting\\\": \\\"hi\\\"}\"; exit 0 with an answer, or non-zero with {\"error\"", "late"}},
		{"error object without a message", "#!/bin/sh\necho '{\"error\": \"no such user\"}'\nexit 1\n", "", ops.ClassExecution,
			[]string{`plugin acme.p exited with code 1 and an error object with no message; write it {"error": {"class": "execution", "message": "…"}}; stdout starts with "{\"error\": \"no such user\"}"`}},
		{"error text with exit 0", "#!/bin/sh\necho '{\"error\": \"no such user\"}'\n", "", ops.ClassExecution,
			[]string{`plugin acme.p exited with code 0 and an error object with no message; to fail, exit non-zero with {"error": {"class": "execution", "message": "…"}}; stdout starts with "{\"error\": \"no such user\"}"`}},
		{"exit without an error object", "#!/bin/sh\necho 'disk on fire' >&2\nexit 4\n", "", ops.ClassExecution,
			[]string{"plugin acme.p exited with code 4 without an error object on stdout", "disk on fire"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "p.prog", tc.program, 0o755)
			write(t, dir, "p.yaml", "version: 1\nname: acme.p\ncategory: acme\ndescription: A test.\nrisk: read\ncommand: [./p.prog]\n"+tc.extra+
				"output: {type: object, properties: {greeting: {type: string}}}\n", 0o644)
			reg := registry(t, dir, plugin.Options{OutputLimit: 1000, KillGrace: 200 * time.Millisecond})
			start := time.Now()
			_, err := opstest.Execute(reg, callCtx(), "acme.p", nil)
			if err == nil {
				t.Fatal("want an error")
			}
			if ops.ClassOf(err) != tc.class {
				t.Errorf("class %s, want %s: %v", ops.ClassOf(err), tc.class, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}

// TestTimeoutKillsTheGroup: a plugin that forks a child which ignores
// SIGTERM is stopped with its whole process group.
func TestTimeoutKillsTheGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	write(t, dir, "p.prog", "#!/bin/sh\n(trap '' TERM; sleep 60) &\necho $! > "+pidFile+"\nwait\n", 0o755)
	write(t, dir, "p.yaml", "version: 1\nname: acme.p\ncategory: acme\ndescription: Hang.\nrisk: read\ncommand: [./p.prog]\ntimeout: 300ms\n", 0o644)
	reg := registry(t, dir, plugin.Options{KillGrace: 200 * time.Millisecond})
	if _, err := opstest.Execute(reg, callCtx(), "acme.p", nil); ops.ClassOf(err) != ops.ClassTimeout {
		t.Fatalf("want a timeout, got %v", err)
	}
	waitGone(t, pidFile, "the timeout")
}

// TestEnvLeakAttempt: a plugin that dumps its environment sees only the
// allow-listed variables, whatever the run's environment holds.
func TestEnvLeakAttempt(t *testing.T) {
	dir := t.TempDir()
	addPlugin(t, dir, "env", "#!"+python(t)+"\nimport json, os\njson.dump({\"env\": dict(os.environ)}, open(1, 'w'))\n",
		"version: 1\nname: acme.env\ncategory: acme\ndescription: Dump the environment.\nrisk: read\ncommand: [./env.prog]\nenv: [LANG, TZ]\n")
	t.Setenv("ARSENAL_TEST_LEAK", "from the process")
	out, err := opstest.Execute(registry(t, dir, plugin.Options{}), callCtx("LANG=C.UTF-8", "AWS_SECRET_ACCESS_KEY=hunter2", "PATH=/usr/bin", "HOME=/root"), "acme.env", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := out["env"].(map[string]any)
	delete(got, "LC_CTYPE") // python may set it itself for a C locale
	if diff := cmp.Diff(map[string]any{"LANG": "C.UTF-8"}, got); diff != "" {
		t.Errorf("the plugin's environment (-want +got):\n%s", diff)
	}
}

// TestManifestProblems: manifests are read strictly, every problem with
// its position, and a name taken by a built-in is refused.
func TestManifestProblems(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "a.yaml", `version: 1
name: shell.exec
category: shell
description: Clash.
risk: read
command: [./ok.prog]
`, 0o644)
	write(t, dir, "b.yaml", `version: 1
name: Acme.Bad
category: acme
descripton: typo
risk: reckless
command: [./missing.prog]
timeout: -5s
env: [LANG, "A-B"]
params: {type: array}
`, 0o644)
	write(t, dir, "c.yaml", `version: 1
name: acme.c
category: other
description: Wrong category.
risk: read
command: [./ok.prog]
params: {type: object, properties: {n: {type: integer, minimum: "x"}}}
`, 0o644)
	write(t, dir, "d.yaml", "version: 1\nname: acme.d\ncategory: acme\ndescription: Fine.\nrisk: read\ncommand: [./ok.prog]\n", 0o644)
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	err := plugin.Load(dir, reg, plugin.Options{})
	var ds yamlx.Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("want diagnostics, got %v", err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, strings.TrimPrefix(d.Error(), dir+"/"))
	}
	want := []string{
		"a.yaml:2:7: operation shell.exec is built in (see 'arsenal-run ops describe shell.exec'); give the plugin a name of its own",
		`b.yaml:2:7: name "Acme.Bad": write it category.name in lower-case letters, digits and _, like acme.greet`,
		`b.yaml:4:1: unknown key "descripton" in the manifest (did you mean "description"?); allowed keys: version, name, category, description, risk, command, timeout, env, params, output`,
		`b.yaml:5:7: unknown risk "reckless"; use read, write or destructive`,
		"b.yaml:6:11: program " + dir + "/missing.prog does not exist; correct the path (one with a slash is relative to this manifest's directory), or put the program there",
		"b.yaml:7:10: timeout must be positive, not -5s",
		`b.yaml:8:13: env: "A-B" is not a variable name (letters, digits and _)`,
		"b.yaml:9:9: params must have type: object: operations take and return objects",
		"b.yaml:1:1: missing description; a manifest needs version, name, category, description, risk and command",
		`c.yaml:3:11: category "other" does not match the name acme.c; the category is the part of the name before the dot (acme)`,
		// At the value the meta-schema refuses, not at params:, in
		// one sentence.
		"c.yaml:7:65: params.properties.n.minimum: got string, want number; see https://json-schema.org/understanding-json-schema/",
	}
	// The order is by file, then position; compare as sets of lines.
	if diff := cmp.Diff(sortedCopy(want), sortedCopy(got)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	if _, err := reg.Get("acme.d"); err != nil {
		t.Errorf("the good manifest was not registered: %v", err)
	}
	if e, _ := reg.Get("shell.exec"); e.Spec.Risk != ops.RiskWrite {
		t.Error("the clashing plugin replaced the built-in")
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestValidateChecksParams: a playbook's literal params are checked against
// the plugin's schema when it is loaded (validate), with positions;
// interpolated ones at run time.
func TestValidateChecksParams(t *testing.T) {
	dir := t.TempDir()
	addPlugin(t, dir, "greet", strings.Replace(greetPy, "PYTHON", python(t), 1), greetManifest)
	reg := registry(t, dir, plugin.Options{})
	pb := write(t, t.TempDir(), "pb.yaml", `version: 1
name: v
inputs:
  who: {type: string, default: x}
steps:
  - id: a
    op: acme.greet
    with: {who: 5}
  - id: b
    op: acme.greet
    with: {times: 2}
  - id: c
    op: acme.greet
    with: {who: "a"}
  - id: c2
    op: acme.greet
    with: {who: "ab", times: 9}
  - id: d
    op: acme.greet
    with: {who: "${{ inputs.who }}", tmes: 1}
  - id: e
    op: acme.greet
    with: {who: "${{ inputs.who }}"}
`, 0o644)
	_, err := steps.Load(pb, reg)
	var ds yamlx.Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("want diagnostics, got %v", err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, strings.TrimPrefix(d.Error(), pb+":"))
	}
	for _, want := range []string{
		"8:12: step a: acme.greet: param who: want a string, got integer",
		"11:11: step b: acme.greet: param who: is required",
		"14:12: step c: acme.greet: param who: does not match the plugin's params schema",
		"17:23: step c2: acme.greet: param times: 9 is above the maximum 3",
		`20:38: step d: acme.greet: param tmes: unknown parameter (did you mean "times"?)`,
	} {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, want)
		}
		if !found {
			t.Errorf("no diagnostic %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if len(got) != 5 {
		t.Errorf("%d diagnostics, want 5 (step e is valid):\n%s", len(got), strings.Join(got, "\n"))
	}
	// At run time the interpolated value is checked against the schema too.
	pb2 := write(t, t.TempDir(), "pb.yaml", "version: 1\nname: r\ninputs:\n  who: {type: string, default: x}\nsteps:\n  - {id: e, op: acme.greet, with: {who: \"${{ inputs.who }}\"}}\n", 0o644)
	p, err := engine.New(reg).Load(pb2)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := p.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Steps[0]; s.Status != report.StatusFailed || s.Error.Class != "validation" || !strings.Contains(s.Error.Message, "minLength") {
		t.Errorf("run-time check: %s %+v", s.Status, s.Error)
	}
}

// TestPolicyDenialByRisk: a destructive plugin is denied to an operator by
// the built-in policy before anything runs, like any destructive op.
func TestPolicyDenialByRisk(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	addPlugin(t, dir, "wipe", "#!/bin/sh\ntouch "+marker+"\necho '{}'\n",
		"version: 1\nname: acme.wipe\ncategory: acme\ndescription: Wipe it.\nrisk: destructive\ncommand: [./wipe.prog]\n")
	reg := registry(t, dir, plugin.Options{})
	pb := write(t, t.TempDir(), "pb.yaml", "version: 1\nname: w\nsteps:\n  - {id: wipe, op: acme.wipe}\n", 0o644)
	svc, err := runs.NewService(runs.Config{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	mgr := runs.NewManager(svc, runs.Limits{})
	defer mgr.Shutdown(context.Background())
	// operator first: the marker must still be absent after its run.
	for _, c := range []struct {
		role string
		want report.Status
	}{{"operator", report.StatusDenied}, {"admin", report.StatusSucceeded}} {
		role, want := c.role, c.want
		h, err := mgr.Start(context.Background(), runs.Request{Path: pb, Caller: runs.Caller{Roles: []string{role}}})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := h.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		s := rep.Steps[0]
		if s.Status != want {
			t.Errorf("%s: step %s, want %s", role, s.Status, want)
		}
		_, statErr := os.Stat(marker)
		if role == "operator" {
			if statErr == nil {
				t.Error("the denied plugin ran")
			}
			if s.Authorization == nil || s.Authorization.Allowed || !strings.Contains(s.Authorization.Rule, "destructive") {
				t.Errorf("denial: %+v", s.Authorization)
			}
		}
	}
}

// TestExamplePlugin loads the plugin under examples/plugins (the one
// docs/extending.md walks through) and runs its playbook.
func TestExamplePlugin(t *testing.T) {
	python(t)
	reg := registry(t, filepath.Join("..", "..", "..", "examples", "plugins"), plugin.Options{})
	p, err := engine.New(reg).Load(filepath.Join("..", "..", "..", "examples", "playbooks", "greet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := p.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != report.StatusSucceeded || rep.Outputs["greeting"] != "Bonjour, Ada!" {
		t.Fatalf("run %s, outputs %v, error %+v", rep.Status, rep.Outputs, rep.Steps[0].Error)
	}
	rep, err = p.Run(context.Background(), map[string]any{"who": "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Steps[0]; s.Error == nil || s.Error.Class != "validation" || s.Error.Message != "plugin acme.greet: there is nobody to greet" {
		t.Errorf("the plugin's error object: %+v", s.Error)
	}
}

// TestSecretParamsMaskedInStderr: the value of a writeOnly param, which
// the program gets in clear, is masked in its stderr shown live and in
// the end of stderr an error quotes, like the run's own secrets.
func TestSecretParamsMaskedInStderr(t *testing.T) {
	dir := t.TempDir()
	addPlugin(t, dir, "tok", "#!/bin/sh\nread -r line\necho \"got $line\" >&2\nexit 3\n",
		"version: 1\nname: acme.tok\ncategory: acme\ndescription: Use a token.\nrisk: read\ncommand: [./tok.prog]\n"+
			"params: {type: object, properties: {token: {type: string, writeOnly: true}, creds: {type: object, writeOnly: true}, on: {type: boolean, writeOnly: true}, who: {type: string}}}\n")
	var live bytes.Buffer
	ctx := ops.WithCall(context.Background(), &ops.Call{RunID: "run-1", Playbook: "pb", Step: "s", ErrOutput: &live, Secrets: []string{"run-secret-42"}})
	_, err := opstest.Execute(registry(t, dir, plugin.Options{}), ctx, "acme.tok", map[string]any{"token": `s3cr3t&Zq9"value`, "creds": map[string]any{"password": "hunter2-Zq9"}, "on": true, "who": "run-secret-42"})
	if err == nil {
		t.Fatal("the plugin's exit 3 was not an error")
	}
	for name, text := range map[string]string{"live stderr": live.String(), "the error": err.Error()} {
		// The program prints its params as JSON: the token escaped.
		if !strings.Contains(text, "got ") || strings.Contains(text, "s3cr3t") || strings.Contains(text, "hunter2-Zq9") ||
			strings.Contains(text, "run-secret-42") || !strings.Contains(text, "true") {
			t.Errorf("%s shows a secret, or nothing: %q", name, text)
		}
	}
}
