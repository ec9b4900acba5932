package fileop

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestDaemonRunsRefuseASourceAnotherUserCouldSwap: in a run of serve or
// schedule (ops.Call.RefuseSwappable), a template, or the source of a
// copy or a move, that another user (mallory) owns in a directory every
// user may write (sticky, like /tmp) is refused with what to do, and so
// is one every user may write: she would choose what root installs. A
// run of the user's own (run) renders and copies it as before, and a
// daemon's run its own files.
func TestDaemonRunsRefuseASourceAnotherUserCouldSwap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user")
	}
	const mallory = 1001
	e := newEnv(t)
	daemon := ops.WithCall(context.Background(), &ops.Call{Dir: e.root, Scope: scope{[]string{e.root}}, RefuseSwappable: true})
	drop := filepath.Join(e.root, "drop")
	if err := os.Mkdir(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	hers := e.file("drop/app.tmpl", "user = ${{ values.user }}\n")
	if err := os.Chown(hers, mallory, mallory); err != nil {
		t.Fatal(err)
	}
	mine := e.file("app.tmpl", "user = ${{ values.user }}\n")
	run := func(ctx context.Context, op string, raw map[string]any) error {
		_, err := opstest.Execute(e.r, ctx, op, raw)
		return err
	}
	tmpl := func(src, dest string) map[string]any {
		return map[string]any{"src": src, "dest": dest, "values": map[string]any{"user": "app"}}
	}
	owned := "the template is in " + drop + ", a directory every user of this host may write, and " + hers + " there is owned by user 1001, who can replace it and choose what the runs that read it install"
	err := run(daemon, "file.template", tmpl("drop/app.tmpl", "app.conf"))
	if err == nil || !strings.Contains(err.Error(), owned) || ops.ClassOf(err) != ops.ClassValidation {
		t.Errorf("mallory's template in a daemon's run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.root, "app.conf")); err == nil {
		t.Error("mallory's template was rendered")
	}
	for _, op := range []string{"file.copy", "file.move"} {
		err := run(daemon, op, map[string]any{"src": "drop/app.tmpl", "dest": "app.conf"})
		if err == nil || !strings.Contains(err.Error(), "the source is in "+drop) || !strings.Contains(err.Error(), "owned by user 1001") {
			t.Errorf("%s of mallory's file in a daemon's run: %v", op, err)
		}
	}
	if err := run(daemon, "file.template", tmpl("app.tmpl", "app.conf")); err != nil {
		t.Errorf("the daemon's own template: %v", err)
	}

	if err := os.Chmod(mine, 0o666); err != nil {
		t.Fatal(err)
	}
	err = run(daemon, "file.copy", map[string]any{"src": "app.tmpl", "dest": "copy.tmpl"})
	if err == nil || !strings.Contains(err.Error(), "the source's mode 0666 lets every user of this host write it") || !strings.Contains(err.Error(), "chmod go-w "+mine) {
		t.Errorf("a source of mode 0666 in a daemon's run: %v", err)
	}

	// A user's own run reads what they point it at.
	if err := run(e.ctx, "file.template", tmpl("drop/app.tmpl", "app.conf")); err != nil {
		t.Errorf("run, without RefuseSwappable: %v", err)
	}
	if err := run(e.ctx, "file.copy", map[string]any{"src": "app.tmpl", "dest": "copy.tmpl"}); err != nil {
		t.Errorf("run, without RefuseSwappable: %v", err)
	}
}
