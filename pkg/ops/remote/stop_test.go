package remote

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
// the sibling runs (the sibling ends only once the gate opens, after the
// stopped step returned), so it goes over a connection of its own.
//
// Both end the step's context once the command has written its pids, as a
// timeout or a cancel that comes while it runs does: a timeout parameter
// counts from the step's start, and on a loaded machine the login and the
// session can take all of it, so that the step times out before the
// command starts, which is not what is tested here (TestExecTimeoutKillsRemote
// tests the parameter).
//
// The kill grace is long: how soon a signal ends the command is not what
// is tested here either, and a stop that saw the command's end only after
// the grace says it was signalled, not stopped. On a loaded machine the
// shell's end, sshd's exit status and its reading can take longer than a
// second after SIGTERM, and again after SIGKILL. The stop waits for the
// end, not for the grace, so the test takes no longer.
func TestStopOnServerWithFewSessions(t *testing.T) {
	srv := startServer(t, serverOpts{Config: "MaxSessions 2\n" + quickLogin(t)})
	st := srv.settings(srv.inventory(t, "box"))
	st.KillGrace = 30 * time.Second
	p := newPool(t, st)
	for _, how := range []string{"timeout", "cancel"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			file, gate := filepath.Join(dir, "pids"), filepath.Join(dir, "gate")
			sibling := make(chan error, 1)
			var siblingOut map[string]any
			go func() {
				out, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "box",
					"command": []any{"sh", "-c", gated(dir, gate) + "; echo B done"}})
				siblingOut = out
				sibling <- err
			}()
			t.Cleanup(func() { _ = os.WriteFile(gate, nil, 0o600); <-sibling })

			params := map[string]any{"host": "box", "command": []any{"sh", "-c", "echo $$ > " + file + "; sleep 300 & echo $! >> " + file + "; wait"}}
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			wantClass, cause := ops.ClassTimeout, error(&timeoutError{time.Second})
			if how == "cancel" {
				wantClass, cause = ops.ClassCancelled, context.Canceled
			}
			// The step's context ends once the pids are there; a step
			// that returns before (it could not log in) ends the wait.
			returned, written := make(chan struct{}), make(chan []int, 1)
			go func() {
				for {
					if pids := readPIDs(file); len(pids) >= 2 {
						cancel(cause)
						written <- pids
						return
					}
					select {
					case <-returned:
						written <- readPIDs(file)
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}()
			_, err := execute(t, ctx, p, "ssh.exec", params)
			close(returned)
			pids := <-written
			if len(pids) < 2 {
				t.Fatalf("the remote command did not write its pids to %s: %v", file, err)
			}
			t.Cleanup(func() {
				for _, pid := range pids {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			if err == nil || ops.ClassOf(err) != wantClass || !strings.Contains(err.Error(), "remote process group of sh on box was stopped") {
				t.Errorf("the stopped step: %v (class %s), want class %s and the group stopped", err, ops.ClassOf(err), wantClass)
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

// TestConnectionOfItsOwn: a connection made apart from the pool (for a
// stop or a probe the pooled one cannot carry) lives until its user is
// done with it, keepalive ticks and the idle check notwithstanding, and
// ends then.
func TestConnectionOfItsOwn(t *testing.T) {
	srv := startServer(t, serverOpts{})
	inv := srv.inventory(t, "box")
	st := srv.settings(inv)
	st.KeepAlive = 100 * time.Millisecond
	p := newPool(t, st)
	if err := runTrue(t, p, "box", nil); err != nil {
		t.Fatal(err)
	}
	c, done, err := p.dialAlone(context.Background(), mustHost(t, inv, "box"), authOpts{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if c.isDead() {
		t.Errorf("the connection ended before its user was done: %v", c.why)
	}
	done()
	if !c.isDead() {
		t.Error("the connection is still open after done")
	}
	if s := p.Stats(); s.Dials != 2 || s.Open != 1 {
		t.Errorf("stats %+v; want the pooled connection alone open", s)
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

// TestWaitOnBusyConnection: ssh.wait on a host whose connection is busy
// with other steps, every session the pool lets it carry taken (the
// pool's limit) or every session the server allows (its MaxSessions,
// lower than the pool's). The host answers, so the wait succeeds at once,
// over a connection of its own, and the steps go on: a connection that
// answers is never closed under them.
func TestWaitOnBusyConnection(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config string
		steps  int
	}{
		{"pool full", "", 9},
		{"server full", "MaxSessions 2\n", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, serverOpts{Config: tc.config + quickLogin(t)})
			st := srv.settings(srv.inventory(t, "box"))
			// Room for a login on a busy machine: a wait that waited
			// for the steps would still take the whole 20 s.
			st.DialTimeout = 10 * time.Second
			p := newPool(t, st)
			dir := t.TempDir()
			gate := filepath.Join(dir, "gate")
			results := make(chan error, tc.steps)
			for i := range tc.steps {
				go func() {
					_, err := execute(t, context.Background(), p, "ssh.exec", map[string]any{"host": "box",
						"command": []any{"sh", "-c", fmt.Sprintf("touch %s/started-%d; %s", dir, i, gated(dir, gate))}})
					results <- err
				}()
			}
			t.Cleanup(func() { _ = os.WriteFile(gate, nil, 0o600) })
			deadline := time.Now().Add(20 * time.Second)
			for {
				started, _ := filepath.Glob(filepath.Join(dir, "started-*"))
				if len(started) == tc.steps {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d steps started", len(started), tc.steps)
				}
				time.Sleep(50 * time.Millisecond)
			}

			start := time.Now()
			out, err := execute(t, context.Background(), p, "ssh.wait", map[string]any{"host": "box", "timeout": "20s", "interval": "200ms"})
			if err != nil || out["attempts"] != 1 {
				t.Errorf("ssh.wait: %v %v; want it to succeed at the first attempt", out, err)
			}
			if took := time.Since(start); took > st.DialTimeout {
				t.Errorf("ssh.wait took %s; it waited for the steps", took)
			}

			if err := os.WriteFile(gate, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			for range tc.steps {
				select {
				case err := <-results:
					if err != nil {
						t.Errorf("a step on the busy connection: %v", err)
					}
				case <-time.After(30 * time.Second):
					t.Fatal("a step still runs 30s after its gate opened")
				}
			}
			if s := p.Stats(); s.Open != 1 {
				t.Errorf("stats %+v; want the steps' connection still open, and the wait's closed", s)
			}
		})
	}
}

// TestWaitKeepsAnsweringConnection: a host that logs in and answers
// keepalives but opens no session fails ssh.wait at its timeout, and its
// connection, which other steps may be using, is kept: one dial for every
// attempt, not one each.
func TestWaitKeepsAnsweringConnection(t *testing.T) {
	key := filepath.Join(t.TempDir(), "id")
	keygen(t, key, "")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	port := silentSessions(t, kh)
	st := hungSettings(t, fmt.Sprintf("version: 1\nhosts:\n  wedged: {address: 127.0.0.1, port: %d, user: %s, identity_file: %s}\n", port, currentUser(t), key))
	st.KnownHosts = []string{kh}
	p := newPool(t, st)
	out, err := execute(t, context.Background(), p, "ssh.wait", map[string]any{"host": "wedged", "timeout": "4s", "interval": "100ms"})
	if err == nil || ops.ClassOf(err) != ops.ClassTimeout || !strings.Contains(err.Error(), "wedged gave no answer within 1s") {
		t.Errorf("ssh.wait: %v %v (class %s); want a timeout", out, err, ops.ClassOf(err))
	}
	if s := p.Stats(); s.Dials != 1 || s.Open != 1 {
		t.Errorf("stats %+v; want the one connection kept", s)
	}
}

// gated is a shell loop that waits until the file gate exists, or its
// directory dir is gone: a test that fails before opening the gate leaves
// nothing running once its temporary directory is removed.
func gated(dir, gate string) string {
	return fmt.Sprintf("while [ -d %s ] && [ ! -e %s ]; do sleep 0.1; done", dir, gate)
}

// readPIDs returns the pids a remote test command has written to file
// so far.
func readPIDs(file string) []int {
	b, _ := os.ReadFile(file)
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}
