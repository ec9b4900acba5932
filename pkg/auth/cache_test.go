package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

func TestCachePolicy(t *testing.T) {
	reg := testRegistry(t)
	p, err := ParsePolicy("p.yaml", []byte("version: 1\ncache: {allow: [shell.exec]}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		op   string
		risk ops.Risk
		want bool
	}{
		{"process.list", ops.RiskRead, true},
		{"shell.exec", ops.RiskWrite, true},
		{"file.write", ops.RiskWrite, false},
	} {
		if got := p.CacheAllowed(c.op, c.risk); got != c.want {
			t.Errorf("CacheAllowed(%s, %s) = %v, want %v", c.op, c.risk, got, c.want)
		}
	}
	if Builtin().CacheAllowed("shell.exec", ops.RiskWrite) {
		t.Error("the built-in policy lets a write operation be cached")
	}
	_, err = ParsePolicy("bad.yaml", []byte("version: 1\ncache:\n  allow: [shell.exce]\n  alow: []\n"), reg)
	for _, want := range []string{`bad.yaml:3:11: cache.allow: unknown operation "shell.exce"`, `did you mean "shell.exec"?`, `bad.yaml:4:3: unknown key "alow" in cache`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

// TestCacheProblems refuses a playbook that caches a write operation the
// policy does not name, pointing at the step's cache: setting.
func TestCacheProblems(t *testing.T) {
	reg := testRegistry(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "pb.yaml")
	data := `version: 1
name: c
steps:
  - id: list
    op: process.list
    cache: {ttl: 1m}
  - id: sh
    op: shell.exec
    cache: {ttl: 1m}
  - id: write
    op: file.write
    with: {path: /tmp/x}
    cache: {ttl: 1m}
`
	if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	pb, err := steps.Load(file, reg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range Builtin().CacheProblems(pb) {
		got = append(got, d.Error())
	}
	want := []string{file + ":9:12: " + CacheRefusal("shell.exec", ops.RiskWrite), file + ":13:12: " + CacheRefusal("file.write", ops.RiskWrite)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("built-in policy (-want +got):\n%s", diff)
	}
	p, err := ParsePolicy("p.yaml", []byte("version: 1\ncache: {allow: [shell.exec]}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	if probs := p.CacheProblems(pb); len(probs) != 1 || !strings.Contains(probs[0].Msg, "file.write") {
		t.Errorf("with shell.exec allowed: %v; want only file.write refused", probs)
	}
}
