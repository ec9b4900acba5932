package engine

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/control"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// registry returns the control ops plus test ops.
func registry(t testing.TB, extra ...func(*ops.Registry)) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := control.Register(r); err != nil {
		t.Fatal(err)
	}
	for _, f := range extra {
		f(r)
	}
	return r
}

// plan loads a playbook from text.
func plan(t testing.TB, e *Engine, src string) *Plan {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pb.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	pb, err := steps.Load(path, e.Registry())
	if err != nil {
		t.Fatalf("load:\n%v", err)
	}
	return e.Plan(pb)
}

func mustRun(t testing.TB, p *Plan, inputs map[string]any, opts ...RunOption) *report.Report {
	t.Helper()
	rep, err := p.Run(context.Background(), inputs, opts...)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return rep
}

// statuses maps step id to status.
func statuses(rep *report.Report) map[string]report.Status {
	out := map[string]report.Status{}
	for _, s := range rep.Steps {
		out[s.ID] = s.Status
	}
	return out
}

func stepOf(t testing.TB, rep *report.Report, id string) report.Step {
	t.Helper()
	for _, s := range rep.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no step %s in report", id)
	return report.Step{}
}

func dump(rep *report.Report) string {
	b, _ := json.MarshalIndent(rep, "", "  ")
	return string(b)
}
