package plugin_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

const head = "version: 1\ncategory: acme\ndescription: A test.\nrisk: read\ncommand: [./ok.prog]\n"

// loadDiags loads dir's manifests into a registry of the built-ins and
// returns the diagnostics as "file:line:col: message", file relative.
func loadDiags(t *testing.T, dir string) (*ops.Registry, []string) {
	t.Helper()
	reg := ops.NewRegistry()
	t.Cleanup(func() { reg.Close() })
	err := plugin.Load(dir, reg, plugin.Options{})
	if err == nil {
		return reg, nil
	}
	var ds yamlx.Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("want diagnostics, got %v", err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, strings.TrimPrefix(d.Error(), dir+"/"))
	}
	return reg, got
}

// TestWriteOnlyOutputIsSecret: writeOnly on a top-level output property
// makes it a secret output (masked by the run, never cached); deeper
// down, where it cannot be honoured, it is refused at its position.
func TestWriteOnlyOutputIsSecret(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "a.yaml", "name: acme.a\n"+head+
		"output: {type: object, properties: {token: {type: string, writeOnly: true}, writeOnly: {type: boolean}, n: {type: integer}}}\n", 0o644)
	write(t, dir, "b.yaml", "name: acme.b\n"+head+
		"output:\n  type: object\n  properties:\n    creds:\n      type: object\n      properties:\n        password: {type: string, writeOnly: true}\n", 0o644)
	reg, got := loadDiags(t, dir)
	want := []string{"b.yaml:13:34: output.properties.creds.properties.password: writeOnly marks only a top-level output property secret, like output.properties.token.writeOnly; move the secret value to a top-level field of the output, or drop writeOnly"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	e, err := reg.Get("acme.a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"token"}, e.Spec.SecretOutputs); diff != "" {
		t.Errorf("SecretOutputs (-want +got):\n%s", diff)
	}
}

// TestSecretParamsMaskedInTheResult: a plugin that echoes its writeOnly
// params in its answer gives them masked, as its stderr shows them.
func TestSecretParamsMaskedInTheResult(t *testing.T) {
	dir := t.TempDir()
	addPlugin(t, dir, "tok", "#!/bin/sh\nread -r line\nprintf '{\"echo\": %s, \"said\": \"the token is s3cr3t-Zq9-token\"}\\n' \"$line\"\n",
		"version: 1\nname: acme.tok\ncategory: acme\ndescription: Use a token.\nrisk: read\ncommand: [./tok.prog]\n"+
			"params: {type: object, properties: {token: {type: string, writeOnly: true}, who: {type: string}}}\n")
	out, err := opstest.Execute(registry(t, dir, plugin.Options{}), callCtx(), "acme.tok", map[string]any{"token": "s3cr3t-Zq9-token", "who": "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(fmt.Sprint(out), "s3cr3t") {
		t.Errorf("the result shows the secret param: %v", out)
	}
	params, _ := out["echo"].(map[string]any)["params"].(map[string]any)
	if params["who"] != "ada" || params["token"] != "***" || out["said"] != "the token is ***" {
		t.Errorf("result %v; want the token masked and the rest as it was", out)
	}
}

// TestCacheKeyHoldsThePluginsEnv: the cache key material of a plugin is
// the values of the variables its manifest passes it, unset ones as null,
// and nothing of the others.
func TestCacheKeyHoldsThePluginsEnv(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "r.yaml", "name: acme.r\n"+head+"env: [AWS_REGION, LANG]\n", 0o644)
	write(t, dir, "n.yaml", "name: acme.n\n"+head, 0o644)
	reg, got := loadDiags(t, dir)
	if got != nil {
		t.Fatal(got)
	}
	var ck ops.CacheKeyer
	if e, _ := reg.Get("acme.r"); !e.As(&ck) {
		t.Fatal("a plugin is not an ops.CacheKeyer")
	}
	eu := ck.CacheKey([]string{"AWS_REGION=eu-west-1", "HOME=/root", "AWS_REGION=eu-west-2"})
	if diff := cmp.Diff(map[string]any{"AWS_REGION": "eu-west-2", "LANG": nil}, eu); diff != "" {
		t.Errorf("key material (-want +got):\n%s", diff)
	}
	if us := ck.CacheKey([]string{"AWS_REGION=us-east-1"}); cmp.Equal(eu, us) {
		t.Errorf("two regions give the same key material %v", us)
	}
	if e, _ := reg.Get("acme.n"); e.As(&ck) && ck.CacheKey([]string{"AWS_REGION=x"}) != nil {
		t.Error("a plugin that gets no variables has key material")
	}
}

// TestManifestDefaultsAreChecked: a params default of the wrong type, or
// one its own schema refuses, is refused at the default's position
// instead of reaching the program as null or failing every run.
func TestManifestDefaultsAreChecked(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "d.yaml", "name: acme.d\n"+head+`params:
  type: object
  properties:
    n: {type: integer, default: abc}
    mode: {type: string, enum: [slow, safe], default: fast}
    id: {type: string, pattern: "^[a-z]+$", default: "A1"}
    ok: {type: integer, minimum: 1, default: 2}
`, 0o644)
	_, got := loadDiags(t, dir)
	want := []string{
		`d.yaml:10:33: params.properties.n.default: want an integer, got string; give a default the property accepts, or none`,
		`d.yaml:11:55: params.properties.mode.default: fast is not one of slow, safe; give a default the property accepts, or none`,
		`d.yaml:12:54: params.properties.id.default does not match the property's own schema: `,
	}
	if len(got) != len(want) {
		t.Fatalf("diagnostics:\n%s\nwant %d", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("diagnostic %d:\n got %s\nwant %s...", i, got[i], want[i])
		}
	}
}

// TestNoOutputSchemaReadsAnyField: a plugin without an output schema
// declares no fields, so a playbook may read any field of its output, as
// of any operation that declares none.
func TestNoOutputSchemaReadsAnyField(t *testing.T) {
	dir := t.TempDir()
	addPlugin(t, dir, "c", "#!/bin/sh\necho '{\"count\": 3}'\n", "name: acme.c\n"+strings.Replace(head, "./ok.prog", "./c.prog", 1))
	reg := registry(t, dir, plugin.Options{})
	pb := write(t, t.TempDir(), "pb.yaml", "version: 1\nname: v\nsteps:\n"+
		"  - {id: c, op: acme.c}\n"+
		"  - {id: d, op: control.log, with: {message: \"${{ steps.c.output.count }} ${{ steps.c.output.resources.max_rss_kb }}\"}}\n", 0o644)
	if _, err := steps.Load(pb, reg); err != nil {
		t.Errorf("reading a field of a plugin without an output schema: %v", err)
	}
	out, err := opstest.Execute(reg, context.Background(), "acme.c", nil)
	if err != nil || out["count"] != 3 || out[ops.ResourcesKey] == nil {
		t.Errorf("output %v, %v", out, err)
	}
}

// TestDuplicateNameNamesTheFirst: a second manifest of a plugin's name
// points at the first; one of a built-in's name says it is built in.
func TestDuplicateNameNamesTheFirst(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "a.yaml", "name: t.ok\n"+strings.Replace(head, "acme", "t", 1), 0o644)
	write(t, dir, "b.yaml", "version: 1\nname: t.ok\n"+strings.Replace(strings.TrimPrefix(head, "version: 1\n"), "acme", "t", 1), 0o644)
	_, got := loadDiags(t, dir)
	want := []string{"b.yaml:2:7: operation t.ok is already declared by the plugin manifest " + dir + "/a.yaml:1:7; give this plugin a name of its own, or remove one of the two"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

// TestBuiltInCategoryIsRefused: a plugin may not take the category of
// built-in operations, which a policy's allow: [file.*] was written for.
// Before, file.pwn loaded, and a role allowed file.* ran it.
func TestBuiltInCategoryIsRefused(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.prog", "#!/bin/sh\necho '{}'\n", 0o755)
	write(t, dir, "a.yaml", "name: file.pwn\n"+strings.Replace(head, "acme", "file", 1), 0o644)
	write(t, dir, "b.yaml", "name: acme.one\n"+head, 0o644)
	write(t, dir, "c.yaml", "name: acme.two\n"+head, 0o644)
	reg := ops.NewRegistry()
	t.Cleanup(func() { reg.Close() })
	nop := ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return map[string]any{}, nil })
	if err := reg.Register(ops.Spec{Name: "file.read", Description: "read a file", Risk: ops.RiskRead}, nop); err != nil {
		t.Fatal(err)
	}
	err := plugin.Load(dir, reg, plugin.Options{})
	var ds yamlx.Diagnostics
	if !errors.As(err, &ds) || len(ds) != 1 {
		t.Fatalf("want one diagnostic, got %v", err)
	}
	if got := strings.TrimPrefix(ds[0].Error(), dir+"/"); got != "a.yaml:1:7: category file is that of built-in operations (file.read, …), which a policy's allow: [file.*] is written for; give the plugin a category of its own, like acme.pwn" {
		t.Errorf("diagnostic %q", got)
	}
	if _, err := reg.Get("acme.two"); err != nil {
		t.Errorf("a second plugin of a plugin's category: %v", err)
	}
}
