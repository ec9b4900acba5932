package remote

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestExec runs programs on a real sshd: arguments that a shell would
// split or expand arrive intact, exit codes and ok_codes, stdin, env,
// scripts, the working directory and stderr.
func TestExec(t *testing.T) {
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	ctx := context.Background()
	run := func(params map[string]any) (map[string]any, error) {
		t.Helper()
		params["host"] = "box"
		return execute(t, ctx, pool, "ssh.exec", params)
	}

	weird := []any{"a b", "'quoted'", `"dq"`, "$HOME", "`id`", "; rm -rf /", "new\nline", "tab\there", "*", "ünïcode", "-n", "", `back\slash`, "!x", "{a,b}"}
	out, err := run(map[string]any{"command": append([]any{"printf", `%s\n---\n`}, weird...)})
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, w := range weird {
		want.WriteString(w.(string) + "\n---\n")
	}
	if diff := cmp.Diff(want.String(), out["stdout"]); diff != "" {
		t.Errorf("arguments did not arrive intact (-want +got):\n%s", diff)
	}
	if out["exit_code"] != 0 || out["host"] != "box" || out["truncated"] != false {
		t.Errorf("output %v", out)
	}

	out, err = run(map[string]any{"command": []any{"sh", "-c", "echo oops >&2; exit 3"}, "ok_codes": []any{0, 1}})
	if err == nil || ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), "exit code 3 is not in ok_codes [0, 1]") || !strings.Contains(err.Error(), "oops") {
		t.Errorf("exit 3: %v (class %s)", err, ops.ClassOf(err))
	}
	if out["exit_code"] != 3 || out["stderr"] != "oops\n" {
		t.Errorf("exit 3: output %v", out)
	}
	if out, err = run(map[string]any{"command": []any{"sh", "-c", "exit 3"}, "ok_codes": []any{0, 3}}); err != nil || out["exit_code"] != 3 {
		t.Errorf("exit 3 in ok_codes: %v %v", out, err)
	}

	out, err = run(map[string]any{"command": []any{"tr", "a-z", "A-Z"}, "stdin": "hello\nworld"})
	if err != nil || out["stdout"] != "HELLO\nWORLD" {
		t.Errorf("stdin: %v %v", out, err)
	}

	env := map[string]any{"PLAIN": "x", "TRICKY": "it's \"$(not run)\"\nline2", "NUM": 42, "EMPTY": nil}
	out, err = run(map[string]any{"command": []any{"sh", "-c", `printf '%s|%s|%s|%s' "$PLAIN" "$TRICKY" "$NUM" "${EMPTY-unset}"; cat /proc/$PPID/cmdline /proc/$$/cmdline`}, "env": env})
	if err != nil {
		t.Fatal(err)
	}
	got := out["stdout"].(string)
	if !strings.HasPrefix(got, "x|it's \"$(not run)\"\nline2|42|/") {
		t.Errorf("env: %q", got)
	}
	if strings.Count(got, "not run") != 1 {
		t.Errorf("an env value appears on a remote command line: %q", got)
	}

	script := "cd /\necho one\nread -r x || true\necho \"read [$x]\"\nfalse\necho never"
	out, err = run(map[string]any{"script": script, "env": map[string]any{"WHO": "me"}})
	if err == nil || out["stdout"] != "one\nread []\n" || out["exit_code"] != 1 {
		t.Errorf("script with sh -e: the script's own read must not swallow the rest of it, and false must stop it: %v %v", out, err)
	}

	dir := t.TempDir()
	out, err = run(map[string]any{"command": []any{"pwd"}, "dir": dir})
	if err != nil || out["stdout"] != dir+"\n" {
		t.Errorf("dir: %v %v", out, err)
	}
	if _, err = run(map[string]any{"command": []any{"pwd"}, "dir": filepath.Join(dir, "nope")}); err == nil || !strings.Contains(err.Error(), "exit code 125") {
		t.Errorf("missing dir: %v", err)
	}
	if _, err = run(map[string]any{"command": []any{"no-such-program-xyz"}}); err == nil || !strings.Contains(err.Error(), "exit code 127") {
		t.Errorf("missing program: %v", err)
	}
}

// TestExecMasksSecrets checks that the run's secrets never appear in what
// ssh.exec returns or prints live.
func TestExecMasksSecrets(t *testing.T) {
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	var live syncBuffer
	ctx := ops.WithCall(context.Background(), &ops.Call{Secrets: []string{"hunter2"}, Output: &live})
	out, err := execute(t, ctx, pool, "ssh.exec", map[string]any{"host": "box", "command": []any{"sh", "-c", "echo pw=$PW; echo err=$PW >&2"}, "env": map[string]any{"PW": "hunter2"}})
	if err != nil {
		t.Fatal(err)
	}
	if out["stdout"] != "pw=***\n" || out["stderr"] != "err=***\n" {
		t.Errorf("output %v", out)
	}
	if l := live.String(); strings.Contains(l, "hunter2") || !strings.Contains(l, "pw=***") {
		t.Errorf("live output %q", l)
	}
}

// TestExecLiveStreams: the live lines of the remote program's stderr go
// to the call's ErrOutput, as shell.exec's do, so that the log and the
// event stream say stream=stderr; they were all said to be stdout.
func TestExecLiveStreams(t *testing.T) {
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	var out, errOut syncBuffer
	ctx := ops.WithCall(context.Background(), &ops.Call{Output: &out, ErrOutput: &errOut})
	if _, err := execute(t, ctx, pool, "ssh.exec", map[string]any{"host": "box", "command": []any{"sh", "-c", "echo to-out; echo to-err >&2"}}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "to-out\n" || errOut.String() != "to-err\n" {
		t.Errorf("live stdout %q, stderr %q; want each stream's line on its own writer", out.String(), errOut.String())
	}
}

// remotePIDs reads the pids a remote test command wrote to file.
func remotePIDs(t *testing.T, file string) []int {
	t.Helper()
	var pids []int
	deadline := time.Now().Add(10 * time.Second)
	for len(pids) < 2 && time.Now().Before(deadline) {
		b, _ := os.ReadFile(file)
		pids = pids[:0]
		for _, f := range strings.Fields(string(b)) {
			n, err := strconv.Atoi(f)
			if err == nil {
				pids = append(pids, n)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(pids) < 2 {
		t.Fatalf("the remote command did not write its pids to %s", file)
	}
	return pids
}

// waitGone waits (generously) until none of pids is alive.
func waitGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		alive := 0
		for _, p := range pids {
			if syscall.Kill(p, 0) == nil && !isZombie(p) {
				alive++
			}
		}
		if alive == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the remote processes %v still run", alive, pids)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	rest := b[bytes.LastIndexByte(b, ')')+1:]
	f := strings.Fields(string(rest))
	return len(f) > 0 && f[0] == "Z"
}

// TestExecTimeoutKillsRemote checks that the timeout parameter, and a
// cancelled context, stop the remote program and its children (the remote
// "host" is this machine, so the test can see its processes).
//
// What it tests is the stop of a command that runs, so nothing in it may
// hang on how fast a loaded machine is: the kill grace is long, so that
// the end SIGTERM brings is seen within it (the stop returns at that end,
// not at the grace); the connection is made first, and the timeout
// parameter, which counts from the step's start, leaves the session and
// the login shell seconds to start the command. With a 1s timeout and no
// connection yet, a loaded machine spent it logging in, and the step
// timed out before the command started.
func TestExecTimeoutKillsRemote(t *testing.T) {
	srv := startServer(t, serverOpts{})
	st := srv.settings(srv.inventory(t, "box"))
	st.KillGrace = 30 * time.Second
	pool := newPool(t, st)
	if err := runTrue(t, pool, "box", nil); err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"timeout", "cancel"} {
		t.Run(how, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "pids")
			params := map[string]any{"host": "box", "command": []any{"sh", "-c", "echo $$ > " + file + "; sleep 300 & echo $! >> " + file + "; wait"}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if how == "timeout" {
				params["timeout"] = "5s"
			} else {
				go func() { remotePIDs(t, file); cancel() }()
			}
			start := time.Now()
			out, err := execute(t, ctx, pool, "ssh.exec", params)
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("took %s", took)
			}
			wantClass := ops.ClassTimeout
			if how == "cancel" {
				wantClass = ops.ClassCancelled
			}
			if err == nil || ops.ClassOf(err) != wantClass || !strings.Contains(err.Error(), "remote process group of sh on box was stopped (sent TERM, and it ended within 30s)") {
				t.Errorf("err = %v (class %s), want class %s and the signal sent", err, ops.ClassOf(err), wantClass)
			}
			if how == "timeout" && !strings.Contains(err.Error(), "ssh.exec timeout of 5s ran out") {
				t.Errorf("err = %v; want the timeout named", err)
			}
			if out == nil || out["exit_code"] != 128+int(syscall.SIGTERM) {
				t.Errorf("output %v; want exit code 143", out)
			}
			waitGone(t, remotePIDs(t, file))
		})
	}
	// The connection survives and serves the next step.
	if _, err := execute(t, context.Background(), pool, "ssh.exec", map[string]any{"host": "box", "command": []any{"true"}}); err != nil {
		t.Fatal(err)
	}
	if s := pool.Stats(); s.Dials != 1 {
		t.Errorf("stats %+v; want one connection for everything", s)
	}
}

// TestExecStopNamesSignals: a program that ignores SIGTERM is killed,
// and the step's error says so, as shell.exec's does, so that whoever
// reads it knows the program had no chance to clean up.
func TestExecStopNamesSignals(t *testing.T) {
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	file := filepath.Join(t.TempDir(), "pids")
	// An ignored signal stays ignored across exec: sleep ignores it too.
	out, err := execute(t, context.Background(), pool, "ssh.exec", map[string]any{"host": "box", "timeout": "1s",
		"command": []any{"sh", "-c", "trap '' TERM; echo $$ > " + file + "; sleep 300 & echo $! >> " + file + "; wait"}})
	want := "ssh.exec timeout of 1s ran out; the remote process group of sh on box was stopped (sent TERM, still running after 1s, sent KILL)"
	if err == nil || ops.ClassOf(err) != ops.ClassTimeout || err.Error() != want {
		t.Errorf("err = %v (class %s)\nwant %s", err, ops.ClassOf(err), want)
	}
	// SIGKILL ended it, not SIGTERM: its exit code says so, as
	// shell.exec's does (the wrapper's own death by SIGTERM said 143).
	if out == nil || out["exit_code"] != 128+int(syscall.SIGKILL) {
		t.Errorf("output %v; want exit code 137", out)
	}
	waitGone(t, remotePIDs(t, file))
}

// TestExecLeftovers checks that a background process the program leaves in
// its group is stopped when the program exits, so that the step ends.
func TestExecLeftovers(t *testing.T) {
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	file := filepath.Join(t.TempDir(), "pids")
	start := time.Now()
	out, err := execute(t, context.Background(), pool, "ssh.exec", map[string]any{"host": "box",
		"command": []any{"sh", "-c", "echo $$ > " + file + "; sleep 300 & echo $! >> " + file + "; echo started"}})
	if err != nil || out["stdout"] != "started\n" {
		t.Fatalf("%v %v", out, err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %s: the background sleep kept the session open", took)
	}
	waitGone(t, remotePIDs(t, file))
}

// TestExecParams checks the refusals of ValidateParams.
func TestExecParams(t *testing.T) {
	r := registry(t, Settings{Agent: "none"})
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"command": []any{"ls"}}, "host"},
		{map[string]any{"host": "box"}, "give command"},
		{map[string]any{"host": "box", "command": []any{"ls"}, "script": "ls"}, "not both"},
		{map[string]any{"host": "box", "script": "cat", "stdin": "x"}, "a script is sent on stdin"},
		{map[string]any{"host": "box", "command": []any{}}, "is empty"},
		{map[string]any{"host": "box", "command": []any{"ls"}, "env": map[string]any{"A-B": "x"}}, "cannot be exported"},
		{map[string]any{"host": "box", "command": []any{"ls"}, "sudo_password": "x"}, "only with sudo: true"},
		{map[string]any{"host": "box", "command": []any{"ls"}, "sudo": true, "sudo_user": "a b"}, "not a valid user name"},
		{map[string]any{"host": "box", "command": []any{"ls"}, "ok_codes": []any{256}}, "not an exit code"},
		{map[string]any{"host": "a b", "command": []any{"ls"}}, "neither an IP address nor a DNS name"},
		{map[string]any{"host": "u@h:0", "command": []any{"ls"}}, "port"},
		{map[string]any{"host": "box", "command": []any{"ls"}, "timeout": "0s"}, "timeout"},
	} {
		_, err := opstest.Execute(r, context.Background(), "ssh.exec", tc.params)
		if err == nil || !strings.Contains(err.Error(), tc.want) || ops.ClassOf(err) != ops.ClassValidation {
			t.Errorf("%v: %v; want a validation error containing %q", tc.params, err, tc.want)
		}
	}
	// A bare name with no inventory is refused before any connection.
	_, err := opstest.Execute(r, context.Background(), "ssh.exec", map[string]any{"host": "box", "command": []any{"ls"}})
	if err == nil || !strings.Contains(err.Error(), "no inventory is loaded") || ops.ClassOf(err) != ops.ClassValidation {
		t.Errorf("bare name: %v", err)
	}
}

// denyHosts is an authorization scope allowing only the hosts of a group.
type denyHosts struct{ group string }

func (d denyHosts) AllowHost(name string, groups, tags []string) error {
	for _, g := range groups {
		if g == d.group {
			return nil
		}
	}
	return errors.Join(ops.ErrDenied, errors.New("host "+name+" is not in group "+d.group))
}

// TestHostPolicy checks that a scope's HostPolicy is asked before any
// connection is made.
func TestHostPolicy(t *testing.T) {
	srv := startServer(t, serverOpts{})
	inv := parseInventory(t, "version: 1\nhosts:\n  box: {address: 127.0.0.1, port: "+strconv.Itoa(srv.Port)+", identity_file: "+srv.UserKey+"}\ngroups:\n  web: [box]\n")
	pool := newPool(t, srv.settings(inv))
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: denyHosts{"db"}})
	_, err := execute(t, ctx, pool, "ssh.exec", map[string]any{"host": "box", "command": []any{"true"}})
	if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization || !strings.Contains(err.Error(), "not in group db") {
		t.Errorf("err = %v (class %s)", err, ops.ClassOf(err))
	}
	if s := pool.Stats(); s.Dials != 0 || srv.Logins() != 0 {
		t.Errorf("a denied step connected: %+v, %d logins", s, srv.Logins())
	}
	ctx = ops.WithCall(context.Background(), &ops.Call{Scope: denyHosts{"web"}})
	if _, err := execute(t, ctx, pool, "ssh.exec", map[string]any{"host": "box", "command": []any{"true"}}); err != nil {
		t.Errorf("allowed host: %v", err)
	}
}

// denyDial is an authorization scope whose network rules refuse loopback.
type denyDial struct{}

func (denyDial) AllowDial(host string, ip net.IP) error {
	if ip == nil || ip.IsLoopback() {
		return errors.Join(ops.ErrDenied, errors.New("loopback addresses are denied"))
	}
	return nil
}

// TestDialPolicy checks a scope's network rules both when a connection is
// made and when a pooled connection, made for another caller, is reused.
func TestDialPolicy(t *testing.T) {
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	denied := ops.WithCall(context.Background(), &ops.Call{Scope: denyDial{}})
	params := map[string]any{"host": "box", "command": []any{"true"}}
	if _, err := execute(t, denied, pool, "ssh.exec", params); !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
		t.Errorf("new connection: %v (class %s)", err, ops.ClassOf(err))
	}
	if srv.Logins() != 0 {
		t.Error("a refused dial logged in")
	}
	if _, err := execute(t, context.Background(), pool, "ssh.exec", params); err != nil {
		t.Fatal(err)
	}
	if _, err := execute(t, denied, pool, "ssh.exec", params); !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
		t.Errorf("pooled connection: %v (class %s)", err, ops.ClassOf(err))
	}
}

// TestExecSudo runs a program through the real sudo (as root, which sudo
// does not ask for a password): env, the working directory and stdin reach
// the program, and a sudo_password given is never written, since sudo
// does not prompt. The prompt-and-answer path is TestSudoPrompt's.
func TestExecSudo(t *testing.T) {
	if _, err := exec.LookPath("sudo"); err != nil {
		t.Skip("sudo is not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root, for whom sudo asks no password")
	}
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	dir := t.TempDir()
	out, err := execute(t, context.Background(), pool, "ssh.exec", map[string]any{"host": "box", "sudo": true, "sudo_password": "never-sent",
		"command": []any{"sh", "-c", `id -un; echo "$GREETING"; pwd; cat`}, "env": map[string]any{"GREETING": "hi there"}, "dir": dir, "stdin": "from stdin"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "root\nhi there\n" + dir + "\nfrom stdin"; out["stdout"] != want {
		t.Errorf("stdout %q, want %q", out["stdout"], want)
	}
	if strings.Contains(out["stdout"].(string), "never-sent") || strings.Contains(out["stderr"].(string), "password") {
		t.Errorf("the password reached the program or sudo prompted: %v", out)
	}
}

// TestExecSudoStop: a program under sudo whose timeout runs out is
// signalled as the login user, and the error says which signals went and
// that what runs as the sudo user may have outlived them.
func TestExecSudoStop(t *testing.T) {
	if _, err := exec.LookPath("sudo"); err != nil {
		t.Skip("sudo is not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root, for whom sudo asks no password")
	}
	srv := startServer(t, serverOpts{})
	// A grace far longer than TERM takes to end sleep, however loaded
	// the machine: the account says TERM ended it, never that KILL went.
	st := srv.settings(srv.inventory(t, "box"))
	st.KillGrace = 30 * time.Second
	pool := newPool(t, st)
	_, err := execute(t, context.Background(), pool, "ssh.exec", map[string]any{"host": "box", "sudo": true, "timeout": "1s",
		"command": []any{"sleep", "300"}})
	want := "ssh.exec timeout of 1s ran out; the remote process group of sleep on box was signalled as the login user (sent TERM, " +
		"and it ended within 30s), so processes running as root under sudo may still run: check with `ps -ef` on box"
	if err == nil || ops.ClassOf(err) != ops.ClassTimeout || err.Error() != want {
		t.Errorf("err = %v (class %s)\nwant %s", err, ops.ClassOf(err), want)
	}
}

// fakeSudo is a sudo for a host without one, or where root may not
// prompt: it asks with the prompt it is given, and runs the program when
// the password is "right".
const fakeSudo = `#!/bin/sh
# sudo -S -p PROMPT -u USER -- /bin/sh -c INNER
prompt=$3; shift 6
while :; do
  printf '%s' "$prompt" >&2
  IFS= read -r pw || exit 1
  [ "$pw" = right ] && exec "$@"
  echo "Sorry, try again." >&2
done
`

// TestExecSudoStoppedBeforeItStarts: a step that sudo asks a password
// of, given none or a wrong one, fails saying so, and that sudo was
// stopped before the program started: nothing ran as root, so there is
// nothing to look for with ps. It used to say that processes running as
// root under sudo might still run. The class is validation, which retry
// does not retry; it was execution, which it does.
func TestExecSudoStoppedBeforeItStarts(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "sudo"), []byte(fakeSudo), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, serverOpts{Config: "SetEnv PATH=" + bin + ":/usr/bin:/bin HOME=" + t.TempDir() + "\n"})
	// A grace far longer than TERM takes to end the waiting sudo,
	// however loaded the machine: the account says TERM ended it.
	st := srv.settings(srv.inventory(t, "box"))
	st.KillGrace = 30 * time.Second
	pool := newPool(t, st)
	for _, tc := range []struct {
		password any
		want     string
	}{
		{nil, "sudo asks for a password to run as root; give it in sudo_password, from a secret input; sudo was stopped on box before it started id (sent TERM, and it ended within 30s)"},
		{"wrong", "sudo refused the password in sudo_password; sudo was stopped on box before it started id (sent TERM, and it ended within 30s)"},
	} {
		params := map[string]any{"host": "box", "sudo": true, "command": []any{"id", "-un"}}
		if tc.password != nil {
			params["sudo_password"] = tc.password
		}
		_, err := execute(t, context.Background(), pool, "ssh.exec", params)
		if err == nil || err.Error() != tc.want {
			t.Errorf("sudo_password %v: %v\nwant %s", tc.password, err, tc.want)
		}
		// Not retried: the same password again cannot be right, and
		// each try counts towards locking the account.
		if c := ops.ClassOf(err); c != ops.ClassValidation {
			t.Errorf("sudo_password %v: class %s, want validation", tc.password, c)
		}
	}
	out, err := execute(t, context.Background(), pool, "ssh.exec", map[string]any{"host": "box", "sudo": true, "sudo_password": "right", "command": []any{"echo", "ran"}})
	if err != nil || out["stdout"] != "ran\n" {
		t.Errorf("the right password: %v %v", out, err)
	}
}
