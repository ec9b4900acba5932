package auth

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestCacheCheckWithOtherProblems checks that a cache: the policy refuses
// is reported in the same load as the playbook's other problems, and that
// a step whose op is unknown is not refused as well.
func TestCacheCheckWithOtherProblems(t *testing.T) {
	src := `version: 1
name: c
steps:
  - id: w
    op: file.write
    with: {path: /tmp/x}
    cache: {ttl: 5m}
  - id: r
    op: process.list
    cache: {ttl: 0s}
  - id: u
    op: nosuch.op
    cache: {ttl: 5m}
`
	_, err := steps.Parse("c.yaml", []byte(src), testRegistry(t), Builtin().CacheCheck())
	if err == nil {
		t.Fatal("the playbook loaded")
	}
	got := err.Error()
	for _, want := range []string{
		"c.yaml:7:12: cache: file.write is a write operation, and only read operations are cached",
		"c.yaml:10:18: cache.ttl must be positive",
		`c.yaml:12:9: unknown operation "nosuch.op"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("error lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "only read operations are cached"); n != 1 {
		t.Errorf("%d cache refusals; want 1 (file.write's):\n%s", n, got)
	}
}

// A playbook given by a relative path is the file the working directory
// named when it was loaded: its grant, its cache namespace and the check
// that stops it calling itself go by that file even when the working
// directory is another one by the time they are asked.
func TestGrantGoesByThePathResolvedAtLoad(t *testing.T) {
	reg := testRegistry(t)
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "runbook.yaml", `version: 1
name: runbook
steps:
  - {id: sh, op: shell.exec}
  - {id: again, op: playbook.run, with: {path: runbook.yaml}}
`)
	p, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  oncall:
    max_risk: read
    playbooks: [{path: runbook.yaml, as: admin}]
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	pb, err := steps.Load("runbook.yaml", reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	s, err := p.Subject([]string{"oncall"}, pb)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Decide("shell.exec", ops.RiskWrite); !d.Allowed || d.Via == "direct" {
		t.Errorf("shell.exec in the granted runbook: %+v (note %q); want it allowed by the grant", d, s.GrantNote)
	}
	ns := p.CacheNamespace([]string{"oncall"}, pb)
	if want := "playbook " + filepath.Join(dir, "runbook.yaml") + " sha256"; !strings.Contains(ns, want) {
		t.Errorf("cache namespace %q does not name %q", ns, want)
	}
	ds, err := p.Preflight([]string{"oncall"}, pb, reg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.Step)
	}
	// The runbook calling itself is the run's to refuse: preflight does
	// not read it again as a sub-playbook.
	if diff := cmp.Diff([]string{"sh", "again"}, got); diff != "" {
		t.Errorf("preflight steps (-want +got):\n%s", diff)
	}
}
