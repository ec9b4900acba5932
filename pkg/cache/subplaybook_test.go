package cache_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestSubPlaybookEditIsAMiss: a cached playbook.run step is keyed by the
// content of the sub-playbook it runs, and of the ones that one runs by a
// literal path: once a sub-playbook is edited (a fix to a runbook), the
// next run runs the new version instead of handing back what the old one
// computed. The same content is still a hit.
func TestSubPlaybookEditIsAMiss(t *testing.T) {
	reg := testRegistry(&counter{})
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sub := func(name, body string) {
		writeFile(t, dir, name, "version: 1\nname: "+name[:len(name)-5]+"\n"+body)
	}
	inner := func(v string) {
		sub("inner.yaml", "inputs:\n  x: {type: string}\nsteps:\n  - {id: say, op: control.log, with: {message: \""+v+"\"}}\noutputs:\n  v: \"${{ steps.say.output.message }}\"\n")
	}
	sub("mid.yaml", "steps:\n  - {id: in, op: playbook.run, with: {path: inner.yaml, inputs: {x: \"${{ inputs.x }}\"}}}\ninputs:\n  x: {type: string, default: a}\noutputs:\n  v: \"${{ steps.in.output.outputs.v }}\"\n")
	inner("one")
	pb := writeFile(t, dir, "top.yaml", `version: 1
name: top
steps:
  - {id: call, op: playbook.run, with: {path: mid.yaml}, cache: {ttl: 1h}}
`)
	pol, err := auth.ParsePolicy("p.yaml", []byte("version: 1\ncache: {allow: [playbook.run]}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := runs.NewService(runs.Config{Registry: reg, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	mgr := runs.NewManager(svc, runs.Limits{})
	defer mgr.Shutdown(context.Background())
	run := func() (*report.Step, any) {
		t.Helper()
		h, err := mgr.Start(context.Background(), runs.Request{Path: pb, Policy: pol})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := h.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		s := step(rep, "call")
		out, _ := s.Output.(map[string]any)
		outs, _ := out["outputs"].(map[string]any)
		return s, outs["v"]
	}
	if s, v := run(); s.Cached || v != "one" {
		t.Fatalf("first run: cached %v, v %v", s.Cached, v)
	}
	if s, v := run(); !s.Cached || v != "one" {
		t.Fatalf("same content: cached %v, v %v; want a hit", s.Cached, v)
	}
	inner("two") // two levels down
	if s, v := run(); s.Cached || v != "two" {
		t.Errorf("after inner.yaml changed: cached %v, v %v; want the new version run", s.Cached, v)
	}
	sub("mid.yaml", "steps:\n  - {id: in, op: playbook.run, with: {path: inner.yaml}}\noutputs:\n  v: \"mid ${{ steps.in.output.outputs.v }}\"\n")
	if s, v := run(); s.Cached || v != "mid two" {
		t.Errorf("after mid.yaml changed: cached %v, v %v; want the new version run", s.Cached, v)
	}
}
