package shell

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/internal/chaintoken"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/sandbox"
)

func TestExecSucceeds(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		raw  map[string]any
		want map[string]any
	}{
		{"argv", map[string]any{"command": []any{"echo", "hello", "world"}},
			map[string]any{"exit_code": 0, "stdout": "hello world\n", "stderr": "", "truncated": false}},
		{"argv is not a shell", map[string]any{"command": []any{"echo", "$HOME", "a;b", "`x`"}},
			map[string]any{"exit_code": 0, "stdout": "$HOME a;b `x`\n", "stderr": "", "truncated": false}},
		{"script with both streams", map[string]any{"script": "echo out\necho err >&2"},
			map[string]any{"exit_code": 0, "stdout": "out\n", "stderr": "err\n", "truncated": false}},
		{"ok_codes", map[string]any{"script": "exit 3", "ok_codes": []any{0, 3}},
			map[string]any{"exit_code": 3, "stdout": "", "stderr": "", "truncated": false}},
		{"stdin", map[string]any{"command": []any{"cat"}, "stdin": "line1\nline2"},
			map[string]any{"exit_code": 0, "stdout": "line1\nline2", "stderr": "", "truncated": false}},
		{"env scalars", map[string]any{"script": `echo "$NAME $PORT $ON"`, "env": map[string]any{"NAME": "x y", "PORT": 8080, "ON": true}},
			map[string]any{"exit_code": 0, "stdout": "x y 8080 true\n", "stderr": "", "truncated": false}},
		{"env overrides", map[string]any{"script": `echo "$HOME"`, "env": map[string]any{"HOME": "/nowhere"}},
			map[string]any{"exit_code": 0, "stdout": "/nowhere\n", "stderr": "", "truncated": false}},
		{"dir relative to the playbook", map[string]any{"command": []any{"pwd"}, "dir": "sub"},
			map[string]any{"exit_code": 0, "stdout": filepath.Join(dir, "sub") + "\n", "stderr": "", "truncated": false}},
		{"default dir is the playbook's", map[string]any{"command": []any{"pwd"}},
			map[string]any{"exit_code": 0, "stdout": dir + "\n", "stderr": "", "truncated": false}},
		{"terminal escapes and bad bytes", map[string]any{"script": `printf 'a\033[31mred\033[0m\377b\r\n\033]0;title\007z\t\001\n'`},
			map[string]any{"exit_code": 0, "stdout": "ared\uFFFDb\nz\t\n", "stderr": "", "truncated": false}},
	}
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: dir})
	for _, tc := range tests {
		tc.want["values"] = map[string]any{} // none of them writes to $ARSENAL_OUTPUT
		t.Run(tc.name, func(t *testing.T) {
			got, err := execute(t, ctx, nil, tc.raw)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if _, ok := ops.ResourcesOf(got); !ok {
				t.Errorf("output has no resources: %v", got)
			}
			delete(got, ops.ResourcesKey) // checked by TestResources
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("output does not marshal: %v", err)
			}
		})
	}
}

func TestExecFails(t *testing.T) {
	tests := []struct {
		name      string
		raw       map[string]any
		class     ops.Class
		wantInErr []string
	}{
		{"exit code", map[string]any{"script": "echo first >&2; echo 'it broke' >&2; exit 3"}, ops.ClassExecution,
			[]string{"exit code 3", "ok_codes [0]", "it broke"}},
		// The codes read as the playbook wrote them, not as Go prints a slice.
		{"exit code beside several ok codes", map[string]any{"script": "exit 3", "ok_codes": []any{0, 1}}, ops.ClassExecution,
			[]string{"exit code 3 is not in ok_codes [0, 1]"}},
		{"sh -e stops at the first failure", map[string]any{"script": "false\necho not reached"}, ops.ClassExecution,
			[]string{"exit code 1"}},
		{"killed by a signal", map[string]any{"script": "kill -USR1 $$"}, ops.ClassExecution,
			[]string{"SIGUSR1", "exit code 138"}},
		// A program that cannot be run is the step's mistake: validation,
		// which is never retried.
		{"program not found", map[string]any{"command": []any{"no-such-program-4711"}}, ops.ClassValidation,
			[]string{`"no-such-program-4711" not found in PATH`}},
		{"no such path", map[string]any{"command": []any{"/no/such/program"}}, ops.ClassValidation,
			[]string{"/no/such/program", "no such file"}},
		{"not executable", map[string]any{"command": []any{notExecutable(t)}}, ops.ClassValidation,
			[]string{"not an executable"}},
		{"not a program", map[string]any{"command": []any{notAProgram(t)}}, ops.ClassValidation,
			[]string{"cannot be run", "exec format error"}},
		{"missing interpreter", map[string]any{"command": []any{missingInterpreter(t)}}, ops.ClassValidation,
			[]string{"cannot be run", "no such file"}},
		{"sandboxed, not found", map[string]any{"command": []any{"no-such-program-4711"}, "sandbox": map[string]any{}}, ops.ClassValidation,
			[]string{`"no-such-program-4711" not found in PATH`}},
		{"sandboxed, not a program", map[string]any{"command": []any{notAProgram(t)}, "sandbox": map[string]any{}}, ops.ClassValidation,
			[]string{"cannot be run", "exec format error"}},
		{"program exits 127", map[string]any{"script": "exit 127"}, ops.ClassExecution,
			[]string{"exit code 127"}},
		{"missing dir", map[string]any{"command": []any{"true"}, "dir": "/no/such/dir"}, ops.ClassValidation,
			[]string{"param dir", "/no/such/dir"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := execute(t, context.Background(), nil, tc.raw)
			if err == nil {
				t.Fatal("want an error, got none")
			}
			if got := ops.ClassOf(err); got != tc.class {
				t.Errorf("class = %s, want %s (%v)", got, tc.class, err)
			}
			for _, w := range tc.wantInErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func notExecutable(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "data.txt")
	if err := os.WriteFile(p, []byte("echo hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// notAProgram returns an executable file the kernel cannot run: no
// #! line and not a binary format.
func notAProgram(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(p, []byte("\x00\x01\x02 not a program\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// missingInterpreter returns a script whose #! interpreter does not exist.
func missingInterpreter(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(p, []byte("#!/no/such/interpreter\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateParams(t *testing.T) {
	e := &Exec{}
	entry, err := newRegistry(t, e).Get("shell.exec")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		raw   map[string]any
		final bool
		want  string // substring of the error; "" = valid
	}{
		{"both", map[string]any{"command": []any{"ls"}, "script": "ls"}, true, "command or script, not both"},
		{"neither", map[string]any{"env": map[string]any{}}, true, "give command"},
		{"empty argv", map[string]any{"command": []any{}}, true, "is empty"},
		{"empty program", map[string]any{"command": []any{""}}, true, "program name (item 0) is empty"},
		{"argv not strings", map[string]any{"command": []any{"ls", 3}}, true, "item 1"},
		{"NUL in argv", map[string]any{"command": []any{"echo", "a\x00b"}}, true, "item 1 contains a NUL byte"},
		{"NUL in script", map[string]any{"script": "echo a\x00"}, true, "NUL"},
		{"NUL in env value", map[string]any{"command": []any{"env"}, "env": map[string]any{"A": "x\x00"}}, true, "NUL"},
		{"bad env name", map[string]any{"command": []any{"env"}, "env": map[string]any{"A=B": "x"}}, true, "not a valid variable name"},
		{"env list value", map[string]any{"command": []any{"env"}, "env": map[string]any{"A": []any{1}}}, true, "want a string, number or bool"},
		{"ok code range", map[string]any{"command": []any{"true"}, "ok_codes": []any{0, 300}}, true, "300 is not an exit code"},
		{"sandbox unknown key", map[string]any{"command": []any{"true"}, "sandbox": map[string]any{"memroy": "1Gi"}}, true, `unknown limit (did you mean "memory"?)`},
		{"sandbox bad size", map[string]any{"command": []any{"true"}, "sandbox": map[string]any{"memory": "lots"}}, true, "want a size like 256Mi"},
		{"sandbox tiny memory", map[string]any{"command": []any{"true"}, "sandbox": map[string]any{"memory": 1024}}, true, "below the minimum"},
		{"sandbox bad cpu", map[string]any{"command": []any{"true"}, "sandbox": map[string]any{"cpu": "-1s"}}, true, "positive duration"},
		{"sandbox network type", map[string]any{"command": []any{"true"}, "sandbox": map[string]any{"network": "no"}}, true, "want true or false"},
		{"sandbox processes", map[string]any{"command": []any{"true"}, "sandbox": map[string]any{"processes": 0}}, true, "out of range"},
		{"dir with sandbox", map[string]any{"command": []any{"true"}, "dir": "/tmp", "sandbox": map[string]any{}}, true, "own fresh directory"},
		{"valid sandbox", map[string]any{"command": []any{"true"}, "sandbox": map[string]any{"network": false, "memory": "256Mi", "cpu": "10s", "processes": 64, "open_files": 64, "file_size": "10Mi"}}, true, ""},
		{"deferred at load", map[string]any{"command": []any{"echo", ops.Deferred}, "env": map[string]any{"A": ops.Deferred}, "sandbox": map[string]any{"memory": ops.Deferred}}, false, ""},
		{"deferred script still excludes command", map[string]any{"command": ops.Deferred, "script": "ls"}, false, "not both"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := entry.Validate(tc.raw, tc.final)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("want an error containing %q, got none", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestScriptRefusesInterpolation(t *testing.T) {
	s := Spec()
	p := s.Param("script")
	if !p.NoInterpolation || !strings.Contains(p.Fix, "env") {
		t.Errorf("script must forbid ${{ }} and name env as the fix, got %+v", p)
	}
}

// groupGone reports whether no live process is left in process group pgid,
// giving killed processes a few seconds to die.
func groupGone(pgid int) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) || !liveInGroup(pgid) {
			return true
		}
	}
	return false
}

// liveInGroup reports whether a process that is not a zombie has pgid.
func liveInGroup(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 2 && fields[0] != "Z" && fields[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}

func TestBackgroundProcessDoesNotHangTheStep(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	out, err := execute(t, ctx, nil, map[string]any{"script": "sleep 300 &\necho $$; echo started"})
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v; a background process holding the pipes must not hold the step", d)
	}
	lines := strings.Fields(out["stdout"].(string))
	if len(lines) != 2 || lines[1] != "started" {
		t.Fatalf("stdout = %q", out["stdout"])
	}
	pgid, _ := strconv.Atoi(lines[0])
	if !groupGone(pgid) {
		t.Errorf("process group %d still has processes after the step", pgid)
	}
}

func TestTimeoutKillsTheGroupEvenIfItIgnoresTERM(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	out, err := execute(t, ctx, &Exec{KillGrace: 200 * time.Millisecond},
		map[string]any{"script": "trap '' TERM\necho $$\n(trap '' TERM; sleep 300) &\nsleep 300"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want one wrapping context.DeadlineExceeded", err)
	}
	if ops.ClassOf(err) != ops.ClassTimeout {
		t.Errorf("class = %s, want timeout", ops.ClassOf(err))
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v after a 500ms timeout", d)
	}
	if out == nil {
		t.Fatal("want the partial output with the error")
	}
	pgid, _ := strconv.Atoi(strings.TrimSpace(out["stdout"].(string)))
	if pgid == 0 || !groupGone(pgid) {
		t.Errorf("process group %d still has processes after the timeout", pgid)
	}
}

func TestCancelEndsTheStep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err := execute(t, ctx, nil, map[string]any{"command": []any{"sleep", "300"}})
	if !errors.Is(err, context.Canceled) || ops.ClassOf(err) != ops.ClassCancelled {
		t.Fatalf("error = %v (class %s), want cancelled", err, ops.ClassOf(err))
	}
	_, err = execute(t, ctx, nil, map[string]any{"command": []any{"true"}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a step whose context is already done must not start; error = %v", err)
	}
}

func TestOutputIsCappedHeadAndTail(t *testing.T) {
	out, err := execute(t, context.Background(), &Exec{OutputLimit: 1000},
		map[string]any{"script": "echo HEAD; head -c 100000 /dev/zero | tr '\\0' x; echo; echo TAIL; echo small >&2"})
	if err != nil {
		t.Fatal(err)
	}
	s := out["stdout"].(string)
	if !strings.HasPrefix(s, "HEAD\n") || !strings.HasSuffix(s, "\nTAIL\n") || !strings.Contains(s, "bytes truncated") {
		t.Errorf("stdout keeps neither head, tail nor a marker: %.80q...", s)
	}
	if len(s) > 1100 {
		t.Errorf("stdout is %d bytes, limit 1000", len(s))
	}
	if out["truncated"] != true || out["stderr"] != "small\n" {
		t.Errorf("truncated = %v, stderr = %q", out["truncated"], out["stderr"])
	}
}

// lockedBuffer is an io.Writer safe for the concurrent writes of the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLiveOutputMasksEveryForm checks that a live line shows none of the
// forms of a secret the report masks, here its base64 and hex: masked only
// in the report, it showed while the step ran (terminal, JSON log, event
// stream).
func TestLiveOutputMasksEveryForm(t *testing.T) {
	const secret = "hunter2-Very-Secret"
	var live lockedBuffer
	ctx := ops.WithCall(context.Background(), &ops.Call{Output: &live, Secrets: []string{secret}})
	script := `printf %s "$TOK" | base64; printf 'user:%s' "$TOK" | base64; printf %s "$TOK" | od -An -tx1 | tr -d ' \n'; echo`
	if _, err := execute(t, ctx, nil, map[string]any{"script": script, "env": map[string]any{"TOK": secret}}); err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{"aHVudGVyMi1W", "odW50ZXIyLVZlcnkt", "68756e7465"} {
		if strings.Contains(live.String(), form) {
			t.Errorf("live output shows %q of the secret's forms: %q", form, live.String())
		}
	}
	if strings.Count(live.String(), "***") != 3 {
		t.Errorf("live output = %q, want each of its 3 lines masked", live.String())
	}
}

func TestLiveOutputIsMasked(t *testing.T) {
	var live lockedBuffer
	ctx := ops.WithCall(context.Background(), &ops.Call{Output: &live, Secrets: []string{"hunter2"}})
	out, err := execute(t, ctx, nil, map[string]any{"script": "echo one; echo 'pw hunter2' >&2; printf 'no newline \\033[1mbold'"})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(live.String()), "\n")
	want := map[string]bool{"one": true, "pw ***": true, "no newline bold": true}
	for _, l := range lines {
		if !want[l] {
			t.Errorf("unexpected live line %q (all: %q)", l, live.String())
		}
		delete(want, l)
	}
	if len(want) > 0 {
		t.Errorf("live output misses %v: %q", want, live.String())
	}
	if out["stderr"] != "pw hunter2\n" {
		t.Errorf("captured stderr = %q; masking the report is the engine's job", out["stderr"])
	}
}

func TestConcurrentExecs(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := execute(t, context.Background(), nil, map[string]any{"command": []any{"echo", strconv.Itoa(i)}})
			if err == nil && out["stdout"] != strconv.Itoa(i)+"\n" {
				err = errors.New("wrong stdout " + out["stdout"].(string))
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// sandboxOnly is a scope that requires a sandbox within req.
type sandboxOnly struct{ req *sandbox.Limits }

func (s sandboxOnly) SandboxRequirement() *sandbox.Limits { return s.req }

func TestScopeRequiresSandbox(t *testing.T) {
	hostNet, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Skip("no /proc/self/ns/net:", err)
	}
	probe := `readlink /proc/self/ns/net; ulimit -v`
	// Without a requirement, sandbox: {} keeps the host's network.
	out, err := execute(t, context.Background(), nil, map[string]any{"script": probe, "sandbox": map[string]any{}})
	if err != nil || !strings.HasPrefix(out["stdout"].(string), hostNet+"\n") {
		t.Fatalf("sandbox: {} without a requirement: %v %v, want the host network %s", out, err, hostNet)
	}

	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: sandboxOnly{&sandbox.Limits{NetworkSet: true, Memory: 512 << 20}}})
	_, err = execute(t, ctx, nil, map[string]any{"command": []any{"true"}})
	if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization || !strings.Contains(err.Error(), "sandbox") {
		t.Errorf("unsandboxed step under a sandbox-only role: %v", err)
	}
	// sandbox: {} runs without network and under the role's memory limit.
	out, err = execute(t, ctx, nil, map[string]any{"script": probe, "sandbox": map[string]any{}})
	if err != nil {
		t.Fatalf("sandboxed step: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out["stdout"].(string)), "\n")
	if len(lines) != 2 || lines[0] == hostNet || lines[1] != strconv.Itoa(512<<10) {
		t.Errorf("sandbox: {} under the requirement printed %q; want a network namespace of its own and ulimit -v %d", lines, 512<<10)
	}
	// A step asking for more than the role allows is refused.
	for _, sb := range []map[string]any{{"network": true}, {"memory": "1Gi"}} {
		_, err := execute(t, ctx, nil, map[string]any{"command": []any{"true"}, "sandbox": sb})
		if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
			t.Errorf("sandbox %v under the requirement: %v, want an authorization refusal", sb, err)
		}
	}
}

func BenchmarkShellTrue(b *testing.B) {
	r := newRegistry(b, nil)
	e, err := r.Get("shell.exec")
	if err != nil {
		b.Fatal(err)
	}
	p, err := e.Validate(map[string]any{"command": []any{"/bin/true"}}, true)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Invoke(ctx, p, chaintoken.New()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkShellSandboxed(b *testing.B) {
	r := newRegistry(b, nil)
	e, _ := r.Get("shell.exec")
	p, err := e.Validate(map[string]any{"command": []any{"/bin/true"}, "sandbox": map[string]any{"memory": "256Mi", "processes": 16}}, true)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := e.Invoke(context.Background(), p, chaintoken.New()); err != nil {
			b.Fatal(err)
		}
	}
}
