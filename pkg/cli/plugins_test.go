package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// pluginDir writes a directory with one shell plugin, acme.greet.
func pluginDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "greet.sh"), []byte("#!/bin/sh\nread -r line\necho 'warming up the greeter' >&2\necho '{\"greeting\": \"hello\"}'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, dir, "greet.yaml", `version: 1
name: acme.greet
category: acme
description: Greet someone. Politely.
risk: read
command: [./greet.sh]
params: {type: object, properties: {who: {type: string, description: whom to greet}}, required: [who]}
output: {type: object, properties: {greeting: {type: string}}, required: [greeting]}
`)
	return dir
}

// TestPluginsOnTheCommandLine: a plugin is listed, described, searched,
// validated and run like a built-in op, from --plugins or $ARSENAL_PLUGINS.
func TestPluginsOnTheCommandLine(t *testing.T) {
	dir := pluginDir(t)
	if r := runMain(t, "ops", "list", "--plugins", dir, "--category", "acme"); r.code != ExitOK || !strings.Contains(r.stdout, "acme.greet") || !strings.Contains(r.stdout, "Greet someone.") {
		t.Errorf("ops list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runMain(t, "ops", "describe", "acme.greet", "--plugins", dir); r.code != ExitOK || !strings.Contains(r.stdout, "whom to greet") || !strings.Contains(r.stdout, "greeting") {
		t.Errorf("ops describe: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runEnv(t, map[string]string{"ARSENAL_PLUGINS": dir}, "ops", "search", "greet"); r.code != ExitOK || !strings.Contains(r.stdout, "acme.greet") {
		t.Errorf("ops search with $ARSENAL_PLUGINS: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runMain(t, "ops", "describe", "acme.greet"); r.code != ExitUsage {
		t.Errorf("without the plugins the op is unknown: exit %d", r.code)
	}
	pbDir := t.TempDir()
	bad := writePlaybook(t, pbDir, "bad.yaml", "version: 1\nname: bad\nsteps:\n  - {id: g, op: acme.greet, with: {who: [1]}}\n")
	if r := runMain(t, "validate", bad, "--plugins", dir); r.code != ExitUsage || !strings.Contains(r.stderr, "bad.yaml:4:36: step g: acme.greet: param who: want a string") {
		t.Errorf("validate: exit %d\n%s", r.code, r.stderr)
	}
	good := writePlaybook(t, pbDir, "good.yaml", "version: 1\nname: good\nsteps:\n  - {id: g, op: acme.greet, with: {who: ada}}\n")
	rep := filepath.Join(pbDir, "r.json")
	if r := runMain(t, "run", good, "--plugins", dir, "--report", rep); r.code != ExitOK {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	if out := readReport(t, rep).Steps[0].Output.(map[string]any); out["greeting"] != "hello" {
		t.Errorf("output %v", out)
	}
	// Its stderr is shown as it comes, as a shell step's is.
	if r := runMain(t, "run", good, "--plugins", dir); r.code != ExitOK || !strings.Contains(r.stderr, "warming up the greeter") {
		t.Errorf("the plugin's stderr was not shown: exit %d\n%s", r.code, r.stderr)
	}
	if r := runMain(t, "ops", "list", "--plugins", filepath.Join(dir, "nope")); r.code != ExitUsage || !strings.Contains(r.stderr, "is not a directory of plugin manifests") {
		t.Errorf("a missing --plugins dir: exit %d %s", r.code, r.stderr)
	}
	writePlaybook(t, dir, "broken.yaml", "version: 1\nname: acme.broken\ncategory: acme\ndescription: x\nrisk: maybe\ncommand: [./greet.sh]\n")
	if r := runMain(t, "run", good, "--plugins", dir); r.code != ExitUsage || !strings.Contains(r.stderr, `broken.yaml:5:7: unknown risk "maybe"`) {
		t.Errorf("a broken manifest: exit %d\n%s", r.code, r.stderr)
	}
}

// TestRunTraceEndpoint: --trace-endpoint exports the run's spans before
// the command exits; a bad URL is a usage error.
func TestRunTraceEndpoint(t *testing.T) {
	var posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/v1/traces" {
			posts.Add(1)
		}
	}))
	defer srv.Close()
	pb := writePlaybook(t, t.TempDir(), "t.yaml", "version: 1\nname: t\nsteps:\n  - {id: a, op: control.noop}\n")
	if r := runMain(t, "run", pb, "--trace-endpoint", srv.URL); r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if posts.Load() == 0 {
		t.Error("no spans reached the collector")
	}
	if r := runMain(t, "run", pb, "--trace-endpoint", "localhost:4318"); r.code != ExitUsage || !strings.Contains(r.stderr, "--trace-endpoint: trace endpoint \"localhost:4318\": want an http:// or https:// URL") {
		t.Errorf("a bad endpoint: exit %d\n%s", r.code, r.stderr)
	}
	if r := runEnv(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL, "OTEL_EXPORTER_OTLP_PROTOCOL": "thrift"}, "run", pb); r.code != ExitOK || !strings.Contains(r.stderr, `tracing is off: OTLP protocol "thrift": use http/protobuf, http/json or grpc`) {
		t.Errorf("an unknown protocol from the environment: exit %d\n%s", r.code, r.stderr)
	}
}

// TestServeAndScheduleLoadPlugins: serve and schedule load the plugins
// as run does (--plugins, else $ARSENAL_PLUGINS): a playbook that uses
// one is served, executed and scheduled, not refused as unknown.
func TestServeAndScheduleLoadPlugins(t *testing.T) {
	dir := pluginDir(t)
	books := t.TempDir()
	writePlaybook(t, books, "greet.yaml", "version: 1\nname: greet\nschedule: {cron: \"@hourly\"}\nsteps:\n  - {id: g, op: acme.greet, with: {who: ada}}\n")
	if r := runMain(t, "schedule", books, "--next", "1"); r.code != ExitUsage || !strings.Contains(r.stderr, `unknown operation "acme.greet"`) {
		t.Errorf("schedule without the plugins: exit %d\n%s", r.code, r.stderr)
	}
	if r := runMain(t, "schedule", books, "--next", "1", "--plugins", dir); r.code != ExitOK {
		t.Errorf("schedule --plugins: exit %d\n%s", r.code, r.stderr)
	}
	f := newServeFixture(t)
	writePlaybook(t, f.playbooks, "greet.yaml", "version: 1\nname: greet\nsteps:\n  - {id: g, op: acme.greet, with: {who: ada}}\n")
	_, base := f.serve(t, "--plugins", dir, "--no-schedule")
	code, out := apiCall(t, "POST", base+"/api/v1/operations/acme.greet/execute", f.admin, map[string]any{"params": map[string]any{"who": "ada"}})
	if res, _ := out["result"].(map[string]any); code != 200 || res["greeting"] != "hello" {
		t.Errorf("execute acme.greet: %d %v", code, out)
	}
}

// TestServeSaysPluginsNeedARestart: serve reads plugins only at start; a
// SIGHUP after their manifests changed says which did and that a restart
// takes them in, before the problems they cause (a playbook using an
// added plugin is an unknown operation until then).
func TestServeSaysPluginsNeedARestart(t *testing.T) {
	dir := pluginDir(t)
	f := newServeFixture(t)
	p, _ := f.serve(t, "--plugins", dir)
	greet, err := os.ReadFile(filepath.Join(dir, "greet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, dir, "wave.yaml", strings.Replace(string(greet), "acme.greet", "acme.wave", 1))
	writePlaybook(t, f.playbooks, "wave.yaml", "version: 1\nname: wave\nsteps:\n  - {id: hi, op: acme.wave, with: {who: Ada}}\n")
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: kept the previous")
	log := p.stderr.String()
	warn := strings.Index(log, "SIGHUP: the plugin manifests in "+dir+" changed since the start (added wave.yaml), and plugins are read only at start: restart to use them")
	unknown := strings.Index(log, `unknown operation "acme.wave"`)
	if warn < 0 || unknown < warn {
		t.Errorf("the log does not say first that the added plugin needs a restart:\n%s", log)
	}

	os.Remove(filepath.Join(dir, "wave.yaml"))
	os.Remove(filepath.Join(f.playbooks, "wave.yaml"))
	writePlaybook(t, dir, "greet.yaml", strings.Replace(string(greet), "Politely.", "Warmly.", 1))
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: reloaded")
	if log := p.stderr.String(); !strings.Contains(log, "(changed greet.yaml), and plugins") {
		t.Errorf("the log does not say the changed manifest needs a restart:\n%s", log)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t)
}

// TestAStepCannotPlantAPlugin: the plugins dir is protected before it
// exists. Before, a missing default dir was left unprotected, and a role
// allowed file.* in its home wrote a manifest there whose command the
// next run loaded and ran as a plugin of an allowed category.
func TestAStepCannotPlantAPlugin(t *testing.T) {
	home := t.TempDir()
	vars := map[string]string{"XDG_CONFIG_HOME": filepath.Join(home, ".config")}
	dir := t.TempDir()
	policy := writePlaybook(t, dir, "policy.yaml", "version: 1\nroles:\n  writer:\n    allow: [\"file.*\"]\n    file_roots: ["+home+"]\n")
	manifest := filepath.Join(home, ".config", "arsenal-run", "plugins", "pwn.yaml")
	plant := writePlaybook(t, dir, "plant.yaml", `version: 1
name: plant
steps:
  - id: plant
    op: file.write
    with:
      path: `+manifest+`
      create_dirs: true
      content: "{version: 1, name: file.pwn, category: file, description: x, risk: read, command: [/bin/sh, -c, 'echo {}']}"
`)
	r := runEnv(t, vars, "run", plant, "--policy", policy, "--role", "writer")
	if r.code == ExitOK || !strings.Contains(r.stdout+r.stderr, "plugins dir") {
		t.Errorf("planting a manifest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(manifest); err == nil {
		t.Errorf("the manifest was written")
	}
}
