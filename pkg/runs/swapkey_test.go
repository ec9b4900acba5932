package runs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/sshdtest"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestDaemonRunsRefuseAKeyAnotherUserCouldSwap: a service that refuses
// swappable files (serve, schedule) does not log in with an identity
// file another user (mallory) owns in a directory every user may write:
// the run fails naming the file before any login. A service that does
// not (run) logs in with it as before.
func TestDaemonRunsRefuseAKeyAnotherUserCouldSwap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user")
	}
	const mallory = 1001
	f := sshdtest.StartFleet(t, "box")
	srv := f.Servers[0]
	drop := filepath.Join(t.TempDir(), "drop")
	if err := os.Mkdir(drop, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(srv.UserKey)
	if err != nil {
		t.Fatal(err)
	}
	hers := filepath.Join(drop, "id")
	if err := os.WriteFile(hers, key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(hers, mallory, mallory); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Parse("hosts.yaml", []byte(fmt.Sprintf("version: 1\nhosts:\n  box: {address: %s, port: %d, user: %s, identity_file: %s}\n",
		srv.Listen, srv.Port, sshdtest.CurrentUser(t), hers)))
	if err != nil {
		t.Fatal(err)
	}
	settings := remote.Settings{Inventory: inv, KnownHosts: []string{f.KnownHosts}, Agent: "none"}
	const pb = "version: 1\nname: k\nsteps:\n  - id: x\n    op: ssh.exec\n    with: {host: box, command: [\"true\"]}\n"
	run := func(refuse bool) *report.Report {
		m := newManager(t, Config{Remote: settings, RefuseSwappable: refuse}, Limits{})
		h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, pb)})
		if err != nil {
			t.Fatal(err)
		}
		return wait(t, h)
	}
	rep := run(true)
	if rep.Status != report.StatusFailed || rep.Error == nil || !strings.Contains(rep.Error.Message, "identity file "+hers+": the identity file is in "+drop) {
		t.Errorf("daemon's run with mallory's key: %s %+v", rep.Status, rep.Error)
	}
	if n := srv.Logins(); n != 0 {
		t.Errorf("%d logins with mallory's key", n)
	}
	if rep := run(false); rep.Status != report.StatusSucceeded {
		t.Errorf("run, without RefuseSwappable: %s %+v", rep.Status, rep.Error)
	}
}
