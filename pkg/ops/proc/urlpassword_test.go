package proc

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestCommandLinesHideURLPasswords: a process given a URL with a password
// (arsenal-run serve --state postgres://arsenal:PW@db/…, or any client of
// a database) is listed with the password masked, to every caller who may
// list processes, and a cmdline_regex cannot find it out. Before, a role
// that may only read read the state database's password off serve's own
// command line, and with the database, sign itself an admin's session.
func TestCommandLinesHideURLPasswords(t *testing.T) {
	r, _ := newEnv(t, Options{})
	mark := marker(t)
	const secret = "Pg-S3cret-77"
	cmd := exec.Command("/bin/sh", "-c", "sleep 300", "arsenal-run", "serve", "--state", "postgres://arsenal:"+secret+"@db.internal:5432/"+mark)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	list, err := opstest.Execute(r, context.Background(), "process.list", map[string]any{"cmdline_regex": "db.internal:5432/" + mark})
	if err != nil {
		t.Fatal(err)
	}
	procs := fmt.Sprint(list["processes"])
	if list["count"] != 1 || strings.Contains(procs, secret) || !strings.Contains(procs, "postgres://arsenal:***@db.internal:5432/"+mark) {
		t.Errorf("process.list: %s", procs)
	}
	info, err := opstest.Execute(r, context.Background(), "process.info", map[string]any{"pid": cmd.Process.Pid})
	if err != nil {
		t.Fatal(err)
	}
	if cl := info["cmdline"].(string); strings.Contains(cl, secret) {
		t.Errorf("process.info cmdline %q", cl)
	}
	// A process of a supervisor group, listed from what it was started
	// with (POST /api/v1/processes, say), hides it as well.
	if _, err := opstest.Execute(r, context.Background(), "process.start", map[string]any{
		"command": []any{"/bin/sh", "-c", "sleep 300", "worker", "--db=postgres://arsenal:" + secret + "@db.internal/" + mark}, "supervisor": "pw",
	}); err != nil {
		t.Fatal(err)
	}
	if c := fmt.Sprint(children(t, r, "pw")); strings.Contains(c, secret) || !strings.Contains(c, "--db=postgres://arsenal:***@db.internal/") {
		t.Errorf("supervisor.children: %s", c)
	}
	list, err = opstest.Execute(r, context.Background(), "process.list", map[string]any{"cmdline_regex": "arsenal:Pg-S3c"})
	if err != nil {
		t.Fatal(err)
	}
	if n := list["count"]; n != 0 {
		t.Errorf("cmdline_regex matched the password of %v processes: %v", n, list["processes"])
	}
}
