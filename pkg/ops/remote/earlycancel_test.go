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

// TestCancelBeforeThePID: a run cancelled while the remote login shell is
// still reading its startup files (a slow profile, a home on NFS), before
// the command's process group id has come back, never starts the program:
// the command waits for a word from the step, which comes only once that
// id is known and the step is not being stopped. Here the line that
// carries the id cannot reach the step once its session is closed, and
// the login shell ignores SIGPIPE, so that the command would go on
// unseen, unsignalled, if it did not wait.
//
// The profile ends either once the step's input ends (the step then sees
// the wrapper end), or only after the step gave up waiting for it (and
// closed its connection).
func TestCancelBeforeThePID(t *testing.T) {
	for _, tc := range []struct {
		name, wait, want string
	}{
		{"profile ends", "read -r line", "stopped before sh started on box: it did not run"},
		{"profile hangs", "", "stopped before sh started on box: it will not run, but the login shell there was still starting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			login, gate, ran := filepath.Join(dir, "login"), filepath.Join(dir, "gate"), filepath.Join(dir, "ran")
			if tc.wait == "" {
				tc.wait = gated(dir, gate)
			}
			// bash, the login shell of the test user here, reads
			// ~/.bashrc when sshd runs it.
			home := t.TempDir()
			writeFile(t, filepath.Join(home, ".bashrc"), "echo $$ > "+login+"\ntrap '' PIPE\n"+tc.wait+"\n")
			srv := startServer(t, serverOpts{Config: "SetEnv HOME=" + home + "\n"})
			st := srv.settings(srv.inventory(t, "box"))
			st.DialTimeout = 5 * time.Second
			p := newPool(t, st)
			t.Cleanup(func() { _ = os.WriteFile(gate, nil, 0o600) })

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type outcome struct {
				out map[string]any
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				out, err := execute(t, ctx, p, "ssh.exec", map[string]any{"host": "box",
					"command": []any{"sh", "-c", "echo $$ > " + ran + "; exec sleep 300"}})
				done <- outcome{out, err}
			}()
			var shell []int
			for deadline := time.Now().Add(20 * time.Second); ; {
				if shell = readPIDs(login); len(shell) > 0 {
					break
				}
				select {
				case o := <-done:
					t.Skipf("the login shell did not read ~/.bashrc (not bash?): %v %v", o.out, o.err)
				default:
				}
				if time.Now().After(deadline) {
					cancel()
					<-done
					t.Skip("the login shell did not read ~/.bashrc within 20s (not bash?)")
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Cleanup(func() {
				for _, pid := range append(shell, readPIDs(ran)...) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			cancel()
			o := <-done
			if o.err == nil || ops.ClassOf(o.err) != ops.ClassCancelled || !strings.Contains(o.err.Error(), tc.want) {
				t.Errorf("the cancelled step: %v %v (class %s); want it cancelled, %q", o.out, o.err, ops.ClassOf(o.err), tc.want)
			}

			// The login shell goes on to the command once its profile is
			// read.
			if err := os.WriteFile(gate, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			waitGone(t, shell)
			if pids := readPIDs(ran); len(pids) > 0 {
				t.Errorf("the program ran after the step was cancelled (pid %v)", pids)
			}
		})
	}
}
