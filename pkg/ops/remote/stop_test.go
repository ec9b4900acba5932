package remote

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestStopOnServerWithFewSessions: on a server that allows two sessions a
// connection (MaxSessions 2, below the pool's 10), two commands hold both.
// The one whose timeout runs out, or whose run is cancelled, is stopped
// all the same, and its sibling, which the stop must not disturb,
// finishes: the signal cannot wait for a session the server refuses while
// the sibling runs.
func TestStopOnServerWithFewSessions(t *testing.T) {
	srv := startServer(t, serverOpts{Config: "MaxSessions 2\n" + quickLogin(t)})
	st := srv.settings(srv.inventory(t, "box"))
	st.DialTimeout = 3 * time.Second
	p := newPool(t, st)
	for _, how := range []string{"timeout", "cancel"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			file, gate := filepath.Join(dir, "pids"), filepath.Join(dir, "gate")
			sibling := make(chan error, 1)
			var siblingOut map[string]any
			go func() {
				out, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "box",
					"command": []any{"sh", "-c", "while [ ! -e " + gate + " ]; do sleep 0.1; done; echo B done"}})
				siblingOut = out
				sibling <- err
			}()
			t.Cleanup(func() { _ = os.WriteFile(gate, nil, 0o600); <-sibling })

			params := map[string]any{"host": "box", "command": []any{"sh", "-c", "echo $$ > " + file + "; sleep 300 & echo $! >> " + file + "; wait"}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			wantClass := ops.ClassTimeout
			if how == "timeout" {
				params["timeout"] = "1s"
			} else {
				wantClass = ops.ClassCancelled
				go func() { remotePIDs(t, file); cancel() }()
			}
			start := time.Now()
			_, err := execute(t, ctx, p, "ssh.exec", params)
			took := time.Since(start)
			pids := remotePIDs(t, file)
			t.Cleanup(func() {
				for _, pid := range pids {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			if err == nil || ops.ClassOf(err) != wantClass || !strings.Contains(err.Error(), "remote process group of sh on box was stopped") {
				t.Errorf("the stopped step: %v (class %s), want class %s and the group stopped", err, ops.ClassOf(err), wantClass)
			}
			if took > 8*time.Second {
				t.Errorf("the stopped step took %s", took)
			}
			waitGone(t, pids)

			if err := os.WriteFile(gate, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-sibling:
				sibling <- err // for the cleanup
				if err != nil || siblingOut["stdout"] != "B done\n" {
					t.Errorf("the sibling step: %v %v; want it to finish", siblingOut, err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the sibling step still runs 30s after its gate opened")
			}
		})
	}
	if s := p.Stats(); s.Open != 1 {
		t.Errorf("stats %+v; want the steps' connection still open", s)
	}
}

// quickLogin is an sshd_config line that gives sessions an empty home
// directory in $HOME, so that the login shell reads no startup files: on
// a machine whose user runs pyenv init from ~/.bashrc, concurrent sessions
// wait on each other's lock for seconds before their commands start, and
// a test of timeouts would measure that instead.
func quickLogin(t *testing.T) string {
	return "SetEnv HOME=" + t.TempDir()
}
