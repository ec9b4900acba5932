package shell

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/procenv"
)

func TestShellChoice(t *testing.T) {
	if _, err := os.Stat("/bin/bash"); err != nil {
		if _, err := os.Stat("/usr/bin/bash"); err != nil {
			t.Skip("no bash on this host")
		}
	}
	tests := []struct {
		name string
		raw  map[string]any
		want string
	}{
		{"sh does not expand braces", map[string]any{"script": "for i in {1..3}; do echo $i; done"}, "{1..3}\n"},
		{"bash does", map[string]any{"script": "for i in {1..3}; do echo $i; done", "shell": "bash"}, "1\n2\n3\n"},
		{"bash sets $0", map[string]any{"script": `echo "$0"`, "shell": "bash"}, "bash\n"},
		{"sh without pipefail", map[string]any{"script": "false | true; echo after"}, "after\n"},
		{"an argv prefix, without -e", map[string]any{"script": "false; echo after", "shell": []any{"sh", "-c"}}, "after\n"},
		{"another language", map[string]any{"script": "import sys; print(sys.argv[0])", "shell": []any{"python3", "-c"}}, "-c\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if l, ok := tc.raw["shell"].([]any); ok && l[0] == "python3" {
				if _, err := procenv.Resolve("python3", "", os.Getenv("PATH")); err != nil {
					t.Skip("no python3 on this host")
				}
			}
			out, err := execute(t, context.Background(), nil, tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if out["stdout"] != tc.want {
				t.Errorf("stdout %q, want %q", out["stdout"], tc.want)
			}
		})
	}
	// bash -o pipefail fails a pipeline whose first command fails.
	_, err := execute(t, context.Background(), nil, map[string]any{"script": "false | true; echo after", "shell": "bash"})
	if err == nil || !strings.Contains(err.Error(), "exit code 1") {
		t.Errorf("bash pipefail: %v", err)
	}
	_, err = execute(t, context.Background(), nil, map[string]any{"script": "echo x", "shell": []any{"no-such-shell-xyz", "-c"}})
	if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), `"no-such-shell-xyz" not found in PATH`) {
		t.Errorf("a missing shell: %v", err)
	}
}

func TestOptionParamErrors(t *testing.T) {
	tests := []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"command": []any{"true"}, "shell": "bash"}, "applies to script"},
		{map[string]any{"script": "true", "shell": "fish"}, `"fish" is not a shell arsenal-run knows`},
		{map[string]any{"script": "true", "shell": []any{}}, "empty list"},
		{map[string]any{"script": "true", "shell": []any{"zsh", 3}}, "item 1: want a string"},
		{map[string]any{"script": "true", "shell": 3}, "want sh, bash or a list"},
		{map[string]any{"script": "true", "kill_signal": "STOP"}, "not one of"},
		{map[string]any{"script": "true", "kill_grace": "-1s"}, "below the minimum"},
		{map[string]any{"script": "true", "kill_grace": "11m"}, "above the maximum"},
		{map[string]any{"script": "true", "max_output": 10}, "below the minimum"},
		{map[string]any{"script": "true", "stdout_file": ""}, "stdout_file: is empty"},
		{map[string]any{"command": "systemctl restart nginx"}, "like [systemctl, restart, nginx]; or, to run it as a shell line, use script: instead"},
		{map[string]any{"command": "sleep 5; echo done"}, `a list runs no shell: ";" here would be a plain word; or, to run it as a shell line, use script: instead`},
		{map[string]any{"command": "ls $HOME"}, `"$HOME" here would be a plain word`},
	}
	for _, tc := range tests {
		_, err := execute(t, context.Background(), nil, tc.raw)
		if err == nil || ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a validation error containing %q", tc.raw, err, tc.want)
		}
	}
}

func TestKillSignal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	script := "trap 'echo got INT; exit 7' INT\ntrap 'echo got TERM; exit 8' TERM\necho ready\nwhile true; do sleep 0.05; done"
	out, err := execute(t, ctx, nil, map[string]any{"script": script, "kill_signal": "INT"})
	if !errors.Is(err, context.DeadlineExceeded) || out == nil {
		t.Fatalf("error %v, want a timeout with the output", err)
	}
	if !strings.Contains(out["stdout"].(string), "got INT") || out["exit_code"] != 7 {
		t.Errorf("with kill_signal INT: %v", out)
	}
}

func TestKillGrace(t *testing.T) {
	// The Exec's own grace is a minute; kill_grace: 0s kills at once.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := execute(t, ctx, &Exec{KillGrace: time.Minute}, map[string]any{"script": "trap '' TERM\nsleep 300", "kill_grace": "0s"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want a timeout", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v with kill_grace 0s", d)
	}
	// The Exec's grace is 10ms, too short to clean up; kill_grace gives
	// the script the time it needs.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	script := "trap 'sleep 0.5; echo cleaned; exit 0' TERM\necho ready\nwhile true; do sleep 0.05; done"
	out, err := execute(t, ctx2, &Exec{KillGrace: 10 * time.Millisecond}, map[string]any{"script": script, "kill_grace": "20s"})
	if !errors.Is(err, context.DeadlineExceeded) || out == nil {
		t.Fatalf("error %v, want a timeout with the output", err)
	}
	if !strings.Contains(out["stdout"].(string), "cleaned") {
		t.Errorf("the TERM handler did not get its kill_grace: %v", out)
	}
}

func TestMaxOutput(t *testing.T) {
	script := `i=0; while [ $i -lt 200 ]; do echo "line $i ................................................"; i=$((i+1)); done`
	out, err := execute(t, context.Background(), nil, map[string]any{"script": script, "max_output": 2048})
	if err != nil {
		t.Fatal(err)
	}
	s := out["stdout"].(string)
	if out["truncated"] != true || len(s) > 2200 || !strings.HasPrefix(s, "line 0 ") || !strings.Contains(s, "line 199 ") {
		t.Errorf("max_output 2048: truncated %v, %d bytes", out["truncated"], len(s))
	}
	// A larger max_output than the Exec's own limit keeps everything.
	out, err = execute(t, context.Background(), &Exec{OutputLimit: 1024}, map[string]any{"script": script, "max_output": 1 << 20})
	if err != nil || out["truncated"] != false || strings.Count(out["stdout"].(string), "\n") != 200 {
		t.Errorf("max_output over the Exec's limit: truncated %v, %v", out["truncated"], err)
	}
}

// rootScope sets the file roots for the output files.
type rootScope struct{ roots []string }

func (s rootScope) FileRoots() []string { return s.roots }

func TestOutputFiles(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: root, Scope: rootScope{[]string{root}}})
	// Far more than max_output, with bytes that are not text.
	script := `i=0; while [ $i -lt 3000 ]; do echo "out $i"; i=$((i+1)); done; printf '\377\000end'; echo "err line" >&2`
	out, err := execute(t, ctx, nil, map[string]any{"script": script, "max_output": 1024, "stdout_file": "logs/out.txt", "stderr_file": filepath.Join(root, "logs/err.txt")})
	if err == nil || !strings.Contains(err.Error(), "logs/out.txt") {
		t.Errorf("a missing directory: %v", err)
	}
	if out != nil {
		t.Errorf("the program ran although its output file could not be opened: %v", out)
	}
	if err := os.Mkdir(filepath.Join(root, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err = execute(t, ctx, nil, map[string]any{"script": script, "max_output": 1024, "stdout_file": "logs/out.txt", "stderr_file": filepath.Join(root, "logs/err.txt")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(root, "logs/out.txt"))
	if !strings.HasPrefix(string(b), "out 0\nout 1\n") || !strings.HasSuffix(string(b), "out 2999\n\xff\x00end") || strings.Count(string(b), "\n") != 3000 {
		t.Errorf("stdout_file has %d bytes, ending %q", len(b), b[max(0, len(b)-20):])
	}
	if out["truncated"] != true {
		t.Error("the captured output should still be capped")
	}
	if b, _ := os.ReadFile(filepath.Join(root, "logs/err.txt")); string(b) != "err line\n" {
		t.Errorf("stderr_file: %q", b)
	}
	// One file for both streams.
	if _, err := execute(t, ctx, nil, map[string]any{"script": "echo a; echo b >&2; echo c", "stdout_file": "logs/all.txt", "stderr_file": "logs/all.txt"}); err != nil {
		t.Fatal(err)
	}
	// The two streams reach the file through two pipes, so lines of one
	// may pass lines of the other (docs/operations.md says so); every line
	// is there, whole.
	if b, _ := os.ReadFile(filepath.Join(root, "logs/all.txt")); !sameLines(string(b), "a\nb\nc\n") {
		t.Errorf("both streams in one file: %q", b)
	}

	if err := os.Symlink(outside, filepath.Join(root, "dir-out")); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(root, "ran")
	for _, path := range []string{filepath.Join(outside, "x"), "dir-out/x", "../x"} {
		_, err := execute(t, ctx, nil, map[string]any{"script": "touch " + marker, "stderr_file": path})
		if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization || !strings.Contains(err.Error(), "file_roots") {
			t.Errorf("stderr_file %s: %v, want a denial", path, err)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the program ran although its output file was denied")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("files written outside the roots: %v", entries)
	}

	// A FIFO in the file's place, with nothing reading it, is refused at
	// once instead of holding the step until something does.
	if err := syscall.Mkfifo(filepath.Join(root, "logs/fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := execute(t, ctx, nil, map[string]any{"script": "touch " + marker, "stdout_file": "logs/fifo"})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("stdout_file a FIFO: %v, want refused as not a regular file", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the step is still opening a FIFO as its stdout_file")
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the program ran although its output file was a FIFO")
	}
}

func TestRunEnvironmentAndOutputValues(t *testing.T) {
	ctx := ops.WithCall(context.Background(), &ops.Call{RunID: "run-42", Playbook: "nightly", Step: "build[2]"})
	script := `echo "$ARSENAL_RUN_ID $ARSENAL_PLAYBOOK $ARSENAL_STEP_ID"
echo "version=1.2.3" >> "$ARSENAL_OUTPUT"
echo "url=http://x/?a=b" >> "$ARSENAL_OUTPUT"
{ echo 'notes<<EOF'; echo 'line one'; echo 'line two'; echo 'EOF'; } >> "$ARSENAL_OUTPUT"
echo "version=1.2.4" >> "$ARSENAL_OUTPUT"`
	for _, sandboxed := range []bool{false, true} {
		raw := map[string]any{"script": script}
		if sandboxed {
			raw["sandbox"] = map[string]any{}
		}
		out, err := execute(t, ctx, nil, raw)
		if err != nil {
			t.Fatalf("sandbox %v: %v", sandboxed, err)
		}
		if out["stdout"] != "run-42 nightly build[2]\n" {
			t.Errorf("sandbox %v: environment %q", sandboxed, out["stdout"])
		}
		want := map[string]any{"version": "1.2.4", "url": "http://x/?a=b", "notes": "line one\nline two"}
		if diff := cmp.Diff(want, out["values"]); diff != "" {
			t.Errorf("sandbox %v: values (-want +got):\n%s", sandboxed, diff)
		}
	}
	// Values written before a failure are kept with the error.
	out, err := execute(t, ctx, nil, map[string]any{"script": `echo "partial=yes" >> "$ARSENAL_OUTPUT"; exit 3`})
	if err == nil || out == nil || out["values"].(map[string]any)["partial"] != "yes" {
		t.Errorf("values of a failed step: %v %v", out, err)
	}
	bad := []struct{ script, want string }{
		{`echo "no equals sign" >> "$ARSENAL_OUTPUT"`, `ARSENAL_OUTPUT line 1: "no equals sign" is neither name=value nor name<<DELIMITER`},
		{`printf 'a=1\nlog<<END\nx\n' >> "$ARSENAL_OUTPUT"`, "ARSENAL_OUTPUT line 2: log<<END is not closed by a line END"},
		{`echo "1st=x" >> "$ARSENAL_OUTPUT"`, `"1st" is not a valid name`},
		{`head -c 1100000 /dev/zero | tr '\0' 'a' | sed 's/^/big=/' >> "$ARSENAL_OUTPUT"`, "ARSENAL_OUTPUT holds more than 1048576 bytes"},
	}
	for _, tc := range bad {
		out, err := execute(t, ctx, nil, map[string]any{"script": tc.script})
		if err == nil || ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an execution error containing %q", tc.script, err, tc.want)
		}
		if out == nil || out["exit_code"] != 0 {
			t.Errorf("%s: the output should come with the error: %v", tc.script, out)
		}
	}
}

func TestParseOutputs(t *testing.T) {
	got, err := parseOutputs("a=1\r\n\nb=x=y\nc=d<<e\nmulti<<END\r\nfirst\r\n\r\nlast\r\nEND\r\nempty<<X\nX\nblank=\n")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": "1", "b": "x=y", "c": "d<<e", "multi": "first\n\nlast", "empty": "", "blank": ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var many strings.Builder
	for i := 0; i <= MaxOutputValues; i++ {
		many.WriteString("k" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "_" + strconv.Itoa(i) + "=v\n")
	}
	if _, err := parseOutputs(many.String()); err == nil || !strings.Contains(err.Error(), "more than 1000 values") {
		t.Errorf("too many values: %v", err)
	}
	if _, err := parseOutputs("x<<\n"); err == nil || !strings.Contains(err.Error(), "no delimiter") {
		t.Errorf("no delimiter: %v", err)
	}
}

// sameLines reports whether a and b hold the same lines, in any order.
func sameLines(a, b string) bool {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	sort.Strings(la)
	sort.Strings(lb)
	return strings.Join(la, "\n") == strings.Join(lb, "\n")
}

// TestStopTime: a step's kill_grace is time the engine gives the program
// to stop before it abandons the step; without one, the engine's grace
// covers the default.
func TestStopTime(t *testing.T) {
	entry, err := newRegistry(t, &Exec{WaitDelay: time.Second}).Get("shell.exec")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		raw  map[string]any
		want time.Duration
	}{
		{map[string]any{"script": "true", "kill_grace": "30s"}, 31 * time.Second},
		{map[string]any{"script": "true", "kill_grace": "0s"}, time.Second},
		{map[string]any{"script": "true"}, 0},
	} {
		p, err := entry.Validate(tc.raw, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := entry.StopTime(p); got != tc.want {
			t.Errorf("%v: stop time %s, want %s", tc.raw, got, tc.want)
		}
	}
}

// TestTimeoutSaysWhichSignals: a step stopped on timeout says which
// signals it was sent and when, so that a script that ignores TERM is
// told apart from one that ended on it; "the process group was stopped"
// said neither.
func TestTimeoutSaysWhichSignals(t *testing.T) {
	for _, c := range []struct {
		name   string
		script string
		grace  string
		want   string
	}{
		{"ignored", "trap '' TERM\necho ready\nsleep 300", "100ms",
			"sent TERM, still running after kill_grace 100ms, sent KILL"},
		{"obeyed", "trap 'exit 3' TERM\necho ready\nwhile true; do sleep 0.05; done", "20s",
			"sent TERM, and it ended within kill_grace 20s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := execute(t, ctx, nil, map[string]any{"script": c.script, "kill_grace": c.grace})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v, want a timeout", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("want %q in %v", c.want, err)
			}
		})
	}
}
