package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

type declining struct{}

func (declining) Confirm(context.Context, string, string) (bool, error) { return false, nil }

// TestDeclinedConfirmExitsOne checks that a confirm: answered no fails the
// run with exit code 1 and says where, while a policy denial keeps exit 3.
func TestDeclinedConfirmExitsOne(t *testing.T) {
	dir := t.TempDir()
	path := writePlaybook(t, dir, "confirm.yaml", "version: 1\nname: confirm\nsteps:\n  - {id: deploy, op: control.noop, confirm: \"Deploy?\"}\n")
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	plan, err := engine.New(reg, engine.WithConfirmer(declining{})).Load(filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := plan.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if code := exitCode(rep, nil); code != ExitFailed || rep.Error == nil || !strings.HasPrefix(rep.Error.Message, "declined at step deploy") {
		t.Errorf("exit %d, error %+v", code, rep.Error)
	}
	denied := &report.Report{Status: report.StatusFailed, Error: &report.Error{Class: "authorization", Message: "step x denied"}}
	if code := exitCode(denied, nil); code != ExitDenied {
		t.Errorf("a denial: exit %d", code)
	}
}
