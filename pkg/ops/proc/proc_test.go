package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

func TestStartListInfoSignal(t *testing.T) {
	r, _ := newEnv(t, Options{})
	mark := marker(t)
	out, err := opstest.Execute(r, context.Background(), "process.start", helper(t, "sleep", mark))
	if err != nil {
		t.Fatal(err)
	}
	pid, started := out["pid"].(int), out["started_at"].(string)
	if pid <= 1 || out["supervisor"] != nil {
		t.Fatalf("process.start = %v", out)
	}

	list, err := opstest.Execute(r, context.Background(), "process.list", map[string]any{"cmdline_regex": mark})
	if err != nil {
		t.Fatal(err)
	}
	procs := list["processes"].([]any)
	if len(procs) != 1 || list["count"] != 1 || list["truncated"] != false {
		t.Fatalf("process.list = %v", list)
	}
	me, _ := user.Current()
	p := procs[0].(map[string]any)
	want := map[string]any{"pid": pid, "ppid": os.Getpid(), "name": filepath.Base(os.Args[0])[:min(15, len(filepath.Base(os.Args[0])))],
		"user": me.Username, "started_at": started}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("process.list %s = %v, want %v", k, p[k], v)
		}
	}
	if !strings.Contains(p["cmdline"].(string), mark) || p["rss_bytes"].(int) <= 0 {
		t.Errorf("process.list entry %v", p)
	}

	info, err := opstest.Execute(r, context.Background(), "process.info", map[string]any{"pid": pid})
	if err != nil {
		t.Fatal(err)
	}
	if info["pid"] != pid || info["started_at"] != started || info["status"] == "" || info["num_threads"].(int) < 1 {
		t.Errorf("process.info = %v", info)
	}

	// A start time that does not match protects a reused pid.
	_, err = opstest.Execute(r, context.Background(), "process.signal", map[string]any{"pid": pid, "started_at": "2001-01-01T00:00:00.000Z"})
	if err == nil || !strings.Contains(err.Error(), "is now another process") {
		t.Fatalf("mismatched started_at: %v", err)
	}
	out, err = opstest.Execute(r, context.Background(), "process.signal", map[string]any{"pid": pid, "started_at": started})
	if err != nil || cmp.Diff(map[string]any{"signalled": []any{pid}, "skipped": []any{}}, out) != "" {
		t.Fatalf("process.signal = %v, %v", out, err)
	}
	gone(t, pid)
	if _, err := opstest.Execute(r, context.Background(), "process.info", map[string]any{"pid": pid}); err == nil || !strings.Contains(err.Error(), "no process") {
		t.Errorf("info on a dead pid: %v", err)
	}
	if _, err := opstest.Execute(r, context.Background(), "process.kill", map[string]any{"pid": pid}); err == nil || !strings.Contains(err.Error(), "no process") {
		t.Errorf("kill of a dead pid: %v", err)
	}
}

func TestSignalByRegex(t *testing.T) {
	r, _ := newEnv(t, Options{})
	mark := marker(t)
	var pids []any
	for range 3 {
		out, err := opstest.Execute(r, context.Background(), "process.start", helper(t, "sleep", mark))
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, out["pid"])
	}
	out, err := opstest.Execute(r, context.Background(), "process.kill", map[string]any{"cmdline_regex": mark})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"signalled": pids, "skipped": []any{}}, out); diff != "" {
		t.Errorf("process.kill (-want +got):\n%s", diff)
	}
	for _, p := range pids {
		gone(t, p.(int))
	}
	// The test process matches its own name and command line: it is
	// skipped, not signalled. The command line is this process's alone,
	// so no other test binary on the host is signalled.
	self, _ := os.ReadFile("/proc/self/comm")
	out, err = opstest.Execute(r, context.Background(), "process.signal", map[string]any{
		"name_regex": "^" + regexp.QuoteMeta(strings.TrimSpace(string(self))) + "$", "cmdline_regex": selfCmdline(), "signal": "CONT", "missing_ok": true})
	if err != nil {
		t.Fatal(err)
	}
	skipped := out["skipped"].([]any)
	if len(skipped) != 1 || !strings.Contains(skipped[0].(map[string]any)["reason"].(string), "arsenal-run itself") {
		t.Errorf("own process not skipped: %v", out)
	}
}

// selfCmdline is a cmdline_regex that matches this process's command line
// and no other's.
func selfCmdline() string { return "^" + regexp.QuoteMeta(strings.Join(os.Args, " ")) + "$" }

func TestSignalRefusals(t *testing.T) {
	r, _ := newEnv(t, Options{})
	for _, pid := range []int{1, os.Getpid(), os.Getppid()} {
		_, err := opstest.Execute(r, context.Background(), "process.signal", map[string]any{"pid": pid, "signal": "TERM"})
		if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
			t.Errorf("pid %d: %v (class %s), want an authorization refusal", pid, err, ops.ClassOf(err))
		}
	}
	tests := []struct {
		op   string
		raw  map[string]any
		want string
	}{
		{"process.signal", map[string]any{}, "give pid, name_regex or cmdline_regex"},
		// A pid read from a process that was not found is null.
		{"process.kill", map[string]any{"pid": nil}, "a pid that is null counts as none"},
		{"process.signal", map[string]any{"pid": 5, "name_regex": "x"}, "not both"},
		{"process.signal", map[string]any{"name_regex": "x", "started_at": "2020-01-01T00:00:00Z"}, "goes with pid"},
		{"process.signal", map[string]any{"pid": 5, "started_at": "yesterday"}, "RFC 3339"},
		{"process.signal", map[string]any{"pid": 5, "signal": "SEGV"}, `param signal: "SEGV" is not a signal process.signal sends; give TERM, INT, HUP, USR1, USR2, QUIT, STOP or CONT (TERM when left out), with or without SIG, in any case`},
		// A misspelt name is told the one meant.
		{"process.signal", map[string]any{"pid": 5, "signal": "SIGTREM"}, `param signal: "SIGTREM" is not a signal process.signal sends (did you mean "TERM"?); give TERM, INT`},
		{"process.signal", map[string]any{"pid": 5, "signal": "usr"}, `(did you mean "USR1"?)`},
		// KILL is process.kill's, which a policy denies by its name.
		{"process.signal", map[string]any{"pid": 5, "signal": "KILL"}, "KILL is SIGKILL, which process.signal does not send; use process.kill, which sends SIGKILL"},
		{"process.signal", map[string]any{"pid": 5, "signal": "sigkill"}, "use process.kill"},
		{"process.signal", map[string]any{"pid": 5, "signal": "9"}, "use process.kill"},
		// Numbers differ between systems but for a few, named for them.
		{"process.signal", map[string]any{"pid": 5, "signal": "15"}, "15: give the signal's name, TERM, not its number"},
		{"process.signal", map[string]any{"pid": 5, "signal": "10"}, "numbers differ between systems"},
		{"process.kill", map[string]any{"pid": 5, "signal": "TERM"}, "unknown parameter"},
		{"process.list", map[string]any{"name_regex": "("}, "not a valid regular expression"},
		{"process.start", map[string]any{"command": []any{}}, "at least the program"},
		{"process.start", map[string]any{"command": []any{"x"}, "restart": "always"}, "set supervisor too"},
		{"process.start", map[string]any{"command": []any{"x"}, "supervisor": "Bad Name"}, "lower case"},
		{"process.start", map[string]any{"command": []any{"x\x00"}}, "NUL"},
		{"supervisor.children", map[string]any{}, "exactly one"},
		{"supervisor.restart", map[string]any{"supervisor": "a", "pid": 5}, "exactly one"},
	}
	for _, tc := range tests {
		_, err := opstest.Execute(r, context.Background(), tc.op, tc.raw)
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: %v, want a validation error containing %q", tc.op, tc.raw, err, tc.want)
		}
	}
	// A program that cannot be run is the step's mistake: validation,
	// never retried.
	garbage, data := filepath.Join(t.TempDir(), "garbage"), filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(garbage, []byte("\x00\x01 not a program\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, []byte("echo hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for cmd, msg := range map[string]string{
		"no-such-program-4711": "not found in PATH",
		"/no/such/program":     "no such file",
		data:                   "not an executable file",
		garbage:                "exec format error",
	} {
		_, err := opstest.Execute(r, context.Background(), "process.start", map[string]any{"command": []any{cmd}})
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), msg) {
			t.Errorf("process.start %s: %v (class %s), want a validation error containing %q", cmd, err, ops.ClassOf(err), msg)
		}
	}
}

func TestStartWritesOutputFiles(t *testing.T) {
	r, _ := newEnv(t, Options{})
	dir := t.TempDir()
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	out, err := opstest.Execute(r, ctx, "process.start", map[string]any{
		"command": []any{"sh", "-c", `echo "out $GREETING"; pwd; echo err >&2`}, "env": map[string]any{"GREETING": "hi"},
		"stdout_file": "out.log", "stderr_file": "err.log",
	})
	if err != nil {
		t.Fatal(err)
	}
	gone(t, out["pid"].(int))
	b, _ := os.ReadFile(filepath.Join(dir, "out.log"))
	e, _ := os.ReadFile(filepath.Join(dir, "err.log"))
	if string(b) != "out hi\n"+dir+"\n" || string(e) != "err\n" {
		t.Errorf("stdout %q stderr %q", b, e)
	}
}

func TestListFilters(t *testing.T) {
	r, _ := newEnv(t, Options{})
	me, _ := user.Current()
	out, err := opstest.Execute(r, context.Background(), "process.list", map[string]any{"user": me.Username, "limit": 1})
	if err != nil {
		t.Fatal(err)
	}
	if out["truncated"] != true || len(out["processes"].([]any)) != 1 || out["count"].(int) < 2 {
		t.Errorf("limit 1: %v", out)
	}
	// A uid selects as its name does.
	byUID, err := opstest.Execute(r, context.Background(), "process.list", map[string]any{"user": me.Uid, "limit": 1})
	if err != nil || byUID["count"].(int) < 2 {
		t.Errorf("user %s (uid of %s): %v %v, want the processes of the name (%v a moment before)", me.Uid, me.Username, byUID["count"], err, out["count"])
	}
	out, err = opstest.Execute(r, context.Background(), "process.list", map[string]any{"min_cpu_percent": 100000.0})
	if err != nil || out["count"] != 0 {
		t.Errorf("min_cpu_percent: %v %v", out, err)
	}
	out, err = opstest.Execute(r, context.Background(), "process.list", map[string]any{"cmdline_regex": "-test\\.", "cpu_sample": "100ms"})
	if err != nil || out["count"].(int) < 1 {
		t.Errorf("cpu_sample: %v %v", out, err)
	}
	// A name the host does not know is a typo, refused, not an empty
	// list; a uid without a name is a user all the same.
	_, err = opstest.Execute(r, context.Background(), "process.list", map[string]any{"user": "no-such-user-4711"})
	if ops.ClassOf(err) != ops.ClassValidation || err == nil || !strings.Contains(err.Error(), `param user: no user named "no-such-user-4711" on this host`) {
		t.Errorf("unknown user: %v (class %s), want a validation error naming the param", err, ops.ClassOf(err))
	}
	if _, err := filterOf(map[string]any{"user": "no-such-user-4711"}); ops.ClassOf(err) != ops.ClassValidation {
		t.Errorf("unknown user given at run time: %v (class %s), want a validation error", err, ops.ClassOf(err))
	}
	if _, err := opstest.Execute(r, context.Background(), "process.list", map[string]any{"user": "4711"}); err != nil {
		t.Errorf("uid without a name: %v", err)
	}
	// validate may run on another host (CI) than the one the step runs
	// on: at load the name is not looked up, also when every param is
	// literal (the loader then passes final true).
	for _, final := range []bool{false, true} {
		if err := (&List{}).ValidateParams(ops.Params{"user": "no-such-user-4711"}, final); err != nil {
			t.Errorf("a user name at load (final %v): %v; want it looked up only when the step runs", final, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := opstest.Execute(r, ctx, "process.list", map[string]any{"cpu_sample": "10s"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

type noOthers struct{}

func (noOthers) MaySignalOthers() bool { return false }

func TestScopeLimitsSignalsToOwnProcesses(t *testing.T) {
	r, _ := newEnv(t, Options{})
	own, err := opstest.Execute(r, context.Background(), "process.start", helper(t, "sleep", marker(t)))
	if err != nil {
		t.Fatal(err)
	}
	// A process this arsenal-run did not start (the shell's child is
	// started by the shell, not by process.start).
	outsider, err := opstest.Execute(r, context.Background(), "process.start", map[string]any{"command": []any{"sh", "-c", "sleep 300 & wait"}})
	if err != nil {
		t.Fatal(err)
	}
	var child int
	eventually(t, "the shell has a child", func() bool {
		out, _ := opstest.Execute(r, context.Background(), "supervisor.children", map[string]any{"pid": outsider["pid"]})
		if kids := out["children"].([]any); len(kids) == 1 {
			child = kids[0].(map[string]any)["pid"].(int)
			return true
		}
		return false
	})
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: noOthers{}})
	_, err = opstest.Execute(r, ctx, "process.kill", map[string]any{"pid": child})
	if !errors.Is(err, ops.ErrDenied) || !strings.Contains(err.Error(), "not started by this arsenal-run") {
		t.Errorf("signalling another process: %v", err)
	}
	if _, err := opstest.Execute(r, ctx, "process.kill", map[string]any{"pid": own["pid"]}); err != nil {
		t.Errorf("signalling an own process: %v", err)
	}
	if _, err := opstest.Execute(r, context.Background(), "process.kill", map[string]any{"pid": child}); err != nil {
		t.Error(err)
	}
	gone(t, own["pid"].(int))
	gone(t, outsider["pid"].(int))
}

// TestStartTakesTheRunsEnvironment: a process started by a run starts
// from the run's environment (an API run's allow list), not from the
// server's own.
func TestStartTakesTheRunsEnvironment(t *testing.T) {
	t.Setenv("ARSENAL_TEST_SERVER_SECRET", "hunter2")
	r, _ := newEnv(t, Options{})
	out := filepath.Join(t.TempDir(), "env.txt")
	ctx := ops.WithCall(context.Background(), &ops.Call{Environ: []string{}})
	params := helper(t, "envdump", marker(t))
	params["env"] = map[string]any{"ARSENAL_PROC_HELPER": "envdump", "ARSENAL_PROC_OUT": out}
	if _, err := opstest.Execute(r, ctx, "process.start", params); err != nil {
		t.Fatal(err)
	}
	var data []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(out); err == nil && len(b) > 0 {
			data = b
			break
		}
	}
	if !strings.Contains(string(data), "ARSENAL_PROC_HELPER=envdump") || strings.Contains(string(data), "ARSENAL_TEST_SERVER_SECRET") {
		t.Errorf("the process's environment:\n%s", data)
	}
	// A program named bare is still found, on this process's PATH.
	if _, err := opstest.Execute(r, ctx, "process.start", map[string]any{"command": []any{"true"}}); err != nil {
		t.Errorf("process.start of a bare name with no PATH in the run's environment: %v", err)
	}
}

// TestInfoNiceIsTheNiceValue: process.info gives the nice value ps shows,
// not getpriority(2)'s 20 - nice.
func TestInfoNiceIsTheNiceValue(t *testing.T) {
	r, _ := newEnv(t, Options{})
	cmd := exec.Command("nice", "-n", "5", "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip("no nice(1):", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var info map[string]any
	for range 100 { // until nice has exec'd sleep
		var err error
		if info, err = opstest.Execute(r, context.Background(), "process.info", map[string]any{"pid": cmd.Process.Pid}); err != nil {
			t.Fatal(err)
		}
		if info["name"] == "sleep" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	base, _ := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	want := 5 + (20 - base) // this process's own nice, plus 5
	if info["nice"] != want {
		t.Errorf("nice = %v, want %d", info["nice"], want)
	}
}

// TestThreadIsNotAProcess: a thread id is refused by process.info and
// process.signal, naming the process it belongs to, not described as a
// process or failed with a bare "no such file or directory".
func TestThreadIsNotAProcess(t *testing.T) {
	r, _ := newEnv(t, Options{})
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Skip("no /proc:", err)
	}
	tid := 0
	for _, e := range tasks {
		if n, _ := strconv.Atoi(e.Name()); n != os.Getpid() && n > 0 {
			tid = n
			break
		}
	}
	if tid == 0 {
		t.Skip("this process has one thread")
	}
	want := fmt.Sprintf("pid %d is a thread of process %d", tid, os.Getpid())
	for _, c := range []struct {
		op  string
		raw map[string]any
	}{
		{"process.info", map[string]any{"pid": tid}},
		{"process.signal", map[string]any{"pid": tid, "signal": "CONT"}},
	} {
		_, err := opstest.Execute(r, context.Background(), c.op, c.raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s of a thread: %v, want %q", c.op, err, want)
		}
	}
}

// filterOf builds the filter of raw params as Execute does, past load.
func filterOf(raw map[string]any) (*filter, error) {
	p := ops.Params{}
	for k, v := range raw {
		p[k] = v
	}
	return newFilter(p)
}
