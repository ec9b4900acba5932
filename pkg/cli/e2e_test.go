package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

func TestMain(m *testing.M) {
	// Run inside GitHub Actions, a failed run would add its annotations
	// to stdout, which the tests compare: the tests that want them ask.
	os.Unsetenv("GITHUB_ACTIONS")
	flag.Parse()
	stop := func() {}
	if !testing.Short() {
		stop = startBinaryBuild()
	}
	code := pgtest.Main(m) // runs the tests; stops PostgreSQL if one started
	stop()
	os.Exit(code)
}

// binary is arsenal-run built for the tests that need a real process
// (signals and crashes) from the sources as they were when the tests
// started (startBinaryBuild); it waits for the build.
func binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	<-bin.done
	if bin.err != nil {
		t.Fatalf("go build: %v", bin.err)
	}
	return bin.path
}

// started runs the binary and waits until stderr shows marker.
type started struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, marker string, args ...string) *started {
	t.Helper()
	return startEnv(t, nil, marker, args...)
}

// startEnv is start with extra environment variables (KEY=value).
func startEnv(t *testing.T, env []string, marker string, args ...string) *started {
	t.Helper()
	return startIn(t, "", env, marker, args...)
}

// startIn is startEnv in the working directory dir ("": the test's).
func startIn(t *testing.T, dir string, env []string, marker string, args ...string) *started {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GITHUB_STEP_SUMMARY="), env...)
	s := &started{cmd: cmd, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.stderr.String(), marker) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-s.done
			t.Fatalf("never saw %q; stderr:\n%s", marker, s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// waitFor waits up to 20 s for text on the process's stderr.
func (s *started) waitFor(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.stderr.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("never saw %q; stderr:\n%s", text, s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *started) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		t.Fatalf("did not exit; stderr:\n%s", s.stderr.String())
	}
	return s.cmd.ProcessState.ExitCode()
}

const sleeper = `version: 1
name: sleeper
steps:
  - {id: prepare, op: control.log, with: {message: about to sleep}}
  - {id: nap, op: control.sleep, with: {duration: 10m}}
  - {id: after, op: control.noop}
finally:
  - {id: cleanup, op: control.log, with: {message: cleanup ran}}
`

// TestNohupKeepsTheRun: started under nohup, run keeps SIGHUP ignored, as
// its user asked, and still stops on SIGTERM.
func TestNohupKeepsTheRun(t *testing.T) {
	nohup, err := exec.LookPath("nohup")
	if err != nil {
		t.Skip("no nohup on this machine")
	}
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "sleeper.yaml", sleeper)
	rep := filepath.Join(dir, "r.json")
	cmd := exec.Command(nohup, binary(t), "run", pb, "--report", rep, "--log-format", "json")
	cmd.Dir = dir // nohup's own nohup.out, if any, goes there
	stderr := &syncBuffer{}
	cmd.Stderr, cmd.Stdout = stderr, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr.String(), "about to sleep") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			t.Fatalf("never started; output:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	select {
	case err := <-done:
		t.Fatalf("ended on SIGHUP under nohup: %v\n%s", err, stderr.String())
	case <-time.After(500 * time.Millisecond):
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("did not stop on SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != ExitTerminated {
		t.Errorf("exit %d, want %d\n%s", code, ExitTerminated, stderr.String())
	}
}

func TestSignalsCancelTheRun(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "sleeper.yaml", sleeper)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, ExitInterrupted}, {syscall.SIGTERM, ExitTerminated}, {syscall.SIGHUP, ExitHangup}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			if tc.sig == syscall.SIGHUP && signal.Ignored(syscall.SIGHUP) {
				t.Skip("the tests run under nohup: the binary inherits SIGHUP ignored (TestNohupKeepsTheRun covers that)")
			}
			rep := filepath.Join(t.TempDir(), "r.json")
			p := start(t, "about to sleep", "run", pb, "--report", rep, "--log-format", "json")
			time.Sleep(100 * time.Millisecond)
			p.cmd.Process.Signal(tc.sig)
			if code := p.wait(t); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, p.stderr.String())
			}
			r := readReport(t, rep)
			got := statuses(r)
			want := map[string]report.Status{"prepare": "succeeded", "nap": "cancelled", "after": "skipped", "cleanup": "succeeded"}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("step %s: %s, want %s", k, got[k], v)
				}
			}
			if r.Status != report.StatusCancelled || !strings.Contains(r.Error.Message, "interrupted by") {
				t.Errorf("run %s %+v", r.Status, r.Error)
			}
		})
	}
}

// stubborn has a finally step that takes its time.
const stubborn = `version: 1
name: stubborn
steps:
  - {id: prepare, op: control.log, with: {message: about to sleep}}
  - {id: nap, op: control.sleep, with: {duration: 10m}}
finally:
  - {id: slow_cleanup, op: control.sleep, with: {duration: %s}}
`

// TestSecondSignalExitsAtOnce: a signal more than a second after the first
// ends the process at once, and the report is still written, cancelled,
// from the run's progress (also in the history).
func TestSecondSignalExitsAtOnce(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "stubborn.yaml", fmt.Sprintf(stubborn, "30s"))
	rep := filepath.Join(dir, "out", "r.json")
	junit := filepath.Join(dir, "out", "r.xml")
	state := filepath.Join(dir, "state")
	p := start(t, "about to sleep", "run", pb, "--log-format", "json", "--report", rep, "--junit", junit, "--state-dir", state)
	time.Sleep(100 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(sameRequest + 500*time.Millisecond)
	begin := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != ExitTerminated {
		t.Errorf("exit %d, want %d (the code of the signal that ended it)", code, ExitTerminated)
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("the second signal took %s to end the process", d)
	}
	r := readReport(t, rep)
	if r.Status != report.StatusCancelled || r.Error == nil || !strings.Contains(r.Error.Message, "interrupted by SIGINT, then by SIGTERM") {
		t.Errorf("report: %s %+v", r.Status, r.Error)
	}
	want := map[string]report.Status{"prepare": "succeeded", "nap": "cancelled", "slow_cleanup": "cancelled"}
	if diff := cmp.Diff(want, statuses(r)); diff != "" {
		t.Errorf("step statuses (-want +got):\n%s\nstderr:\n%s", diff, p.stderr.String())
	}
	// What was running when the process exited is named, on the terminal
	// and in the report: what it started may still be running.
	if !strings.Contains(p.stderr.String(), "exited while these steps ran") || !strings.Contains(p.stderr.String(), "slow_cleanup (control.sleep)") {
		t.Errorf("stderr does not name the step still running:\n%s", p.stderr.String())
	}
	for _, st := range r.Steps {
		if st.ID == "slow_cleanup" && (st.Error == nil || !strings.Contains(st.Error.Message, "may still be running")) {
			t.Errorf("slow_cleanup's error: %+v", st.Error)
		}
	}
	if _, err := os.Stat(junit); err != nil {
		t.Errorf("no JUnit report: %v", err)
	}
	res := runMain(t, "history", "--state-dir", state, "--json")
	if !strings.Contains(res.stdout, `"status": "cancelled"`) {
		t.Errorf("the history does not show the run cancelled:\n%s%s", res.stdout, res.stderr)
	}
	// It is signed with the state dir's key, as a report written at the
	// run's end is: a resume of it trusts what its steps gave.
	h, err := history.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	key, err := h.ReportKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := report.Verify(data, key); err != nil {
		t.Errorf("the report written on the second signal does not verify: %v", err)
	}
}

// TestTwoSignalsAtOnceAreOneRequest: GNU timeout or a process-group kill
// can deliver two signals a few milliseconds apart. They are one request:
// the run is cancelled, finally runs to its end and the report is written.
func TestTwoSignalsAtOnceAreOneRequest(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "stubborn.yaml", fmt.Sprintf(stubborn, "1s"))
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "r.json")
			p := start(t, "about to sleep", "run", pb, "--log-format", "json", "--report", rep)
			time.Sleep(100 * time.Millisecond)
			p.cmd.Process.Signal(sig)
			time.Sleep(5 * time.Millisecond)
			p.cmd.Process.Signal(sig)
			if code, want := p.wait(t), signalCode(sig); code != want {
				t.Errorf("exit %d, want %d", code, want)
			}
			r := readReport(t, rep)
			want := map[string]report.Status{"prepare": "succeeded", "nap": "cancelled", "slow_cleanup": "succeeded"}
			if diff := cmp.Diff(want, statuses(r)); diff != "" {
				t.Errorf("step statuses (-want +got):\n%s\nstderr:\n%s", diff, p.stderr.String())
			}
			if r.Status != report.StatusCancelled {
				t.Errorf("run %s", r.Status)
			}
		})
	}
}

// TestGNUTimeoutGetsAReport runs arsenal-run under GNU timeout, which
// signals the command and then its process group.
func TestGNUTimeoutGetsAReport(t *testing.T) {
	timeoutBin, err := exec.LookPath("timeout")
	if err != nil {
		t.Skip("GNU timeout is not installed")
	}
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "stubborn.yaml", fmt.Sprintf(stubborn, "500ms"))
	rep := filepath.Join(dir, "r.json")
	cmd := exec.Command(timeoutBin, "-s", "TERM", "2", binary(t), "run", pb, "--log-format", "json", "--report", rep)
	cmd.Env = append(os.Environ(), "GITHUB_STEP_SUMMARY=")
	out, _ := cmd.CombinedOutput()
	r, err := report.Read(rep)
	if err != nil {
		t.Fatalf("no report: %v\n%s", err, out)
	}
	if r.Status != report.StatusCancelled || statuses(r)["slow_cleanup"] != report.StatusSucceeded {
		t.Errorf("run %s, steps %v\n%s", r.Status, statuses(r), out)
	}
}

func TestKillNineLeavesAValidHistory(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "sleeper.yaml", sleeper)
	p := start(t, "about to sleep", "run", pb, "--state-dir", state, "--log-format", "json")
	time.Sleep(200 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait(t)

	db, err := sql.Open("sqlite", filepath.Join(state, "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := db.QueryRowContext(context.Background(), "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
	db.Close()
	entries, _ := os.ReadDir(filepath.Join(state, "reports"))
	for _, e := range entries {
		if _, err := report.Read(filepath.Join(state, "reports", e.Name())); err != nil && !strings.HasPrefix(e.Name(), ".") {
			t.Errorf("torn report %s: %v", e.Name(), err)
		}
	}
	res := runMain(t, "history", "--state-dir", state)
	if res.code != ExitOK || !strings.Contains(res.stdout, "interrupted") {
		t.Errorf("the killed run is not marked interrupted:\n%s%s", res.stdout, res.stderr)
	}
	// It left no report: history show says so instead of naming a file
	// that is not there, and --resume says why it cannot resume it.
	id := strings.Fields(strings.Split(res.stdout, "\n")[1])[2]
	res = runMain(t, "history", "show", id, "--state-dir", state)
	if res.code != ExitOK || !strings.Contains(res.stdout, "report    none: the process ended before it wrote one") {
		t.Errorf("history show of the killed run:\n%s%s", res.stdout, res.stderr)
	}
	res = runMain(t, "run", pb, "--resume", id, "--state-dir", state)
	if res.code != ExitUsage || !strings.Contains(res.stderr, "run "+id+" was interrupted") || !strings.Contains(res.stderr, "--from STEP") {
		t.Errorf("--resume of the killed run: exit %d\n%s", res.code, res.stderr)
	}
}

func statuses(r *report.Report) map[string]report.Status {
	out := map[string]report.Status{}
	for _, s := range r.Steps {
		out[s.ID] = s.Status
	}
	return out
}

// TestFiftyRunsAtOnceAreAllRecorded starts 50 runs of the built binary at
// the same moment on one fresh state dir: every run succeeds and is in the
// history, with its report.
func TestFiftyRunsAtOnceAreAllRecorded(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "quick.yaml", quick)
	const n = 50
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range cmds {
		cmds[i] = exec.Command(bin, "run", pb, "--state-dir", state, "--log-format", "json")
		cmds[i].Env = append(os.Environ(), "GITHUB_STEP_SUMMARY=")
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("run %d: %v\n%s", i, err, outs[i].String())
		}
	}
	res := runMain(t, "history", "--state-dir", state, "--json", "--limit", "1000")
	var runs []struct {
		Status     string `json:"status"`
		ReportPath string `json:"report_path"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &runs); err != nil {
		t.Fatalf("history: %v\n%s", err, res.stdout)
	}
	if len(runs) != n {
		t.Errorf("%d runs recorded, want %d", len(runs), n)
	}
	for _, r := range runs {
		if r.Status != "succeeded" {
			t.Errorf("a run is %s", r.Status)
		}
		if _, err := os.Stat(r.ReportPath); err != nil {
			t.Errorf("report: %v", err)
		}
	}
}

// TestClosedOutputDoesNotStopTheRun: `arsenal-run run … | head` closes the
// pipe after a line; the run still goes to its end, finally and reports
// included, and its shell steps get SIGPIPE's default disposition, not an
// inherited "ignore".
func TestClosedOutputDoesNotStopTheRun(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "marker.txt")
	pb := writePlaybook(t, dir, "pipe.yaml", `version: 1
name: pipe
steps:
  - {id: loud, op: control.log, foreach: "1..200", with: {message: "line ${{ item }}"}}
  - {id: sigpipe, op: shell.exec, with: {command: [awk, "/^SigIgn/ {print $2}", /proc/self/status]}}
  - {id: mark, op: file.write, with: {path: `+marker+`, content: done}}
finally:
  - {id: cleanup, op: control.log, with: {message: cleanup ran}}
`)
	rep := filepath.Join(dir, "r.json")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // the reader is gone before the first line
	cmd := exec.Command(binary(t), "run", pb, "--report", rep, "--state-dir", filepath.Join(dir, "state"))
	cmd.Env = append(os.Environ(), "GITHUB_STEP_SUMMARY=")
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Run()
	w.Close()
	if code := cmd.ProcessState.ExitCode(); code != ExitOK {
		t.Fatalf("exit %d (%v), want %d", code, err, ExitOK)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the step after the output closed did not run: %v", err)
	}
	got := readReport(t, rep)
	if got.Status != report.StatusSucceeded || statuses(got)["cleanup"] != report.StatusSucceeded {
		t.Errorf("run %s, steps %v", got.Status, statuses(got))
	}
	for _, s := range got.Steps {
		if s.ID != "sigpipe" {
			continue
		}
		out, _ := s.Output.(map[string]any)
		mask, err := strconv.ParseUint(strings.TrimSpace(fmt.Sprint(out["stdout"])), 16, 64)
		if err != nil {
			t.Fatalf("SigIgn of a shell step: %v (output %v)", err, s.Output)
		}
		if mask&(1<<(uint(syscall.SIGPIPE)-1)) != 0 {
			t.Errorf("shell steps inherit SIGPIPE ignored (SigIgn %x)", mask)
		}
	}
}

// TestClosedOutputEndsEveryCommandQuietly: `arsenal-run ops list | head`
// and the like end with the command's own code, not killed by SIGPIPE
// (exit 141), as only run, schedule and serve used to.
func TestClosedOutputEndsEveryCommandQuietly(t *testing.T) {
	for _, args := range [][]string{
		{"ops", "list"},
		{"ops", "describe", "shell.exec"},
		{"validate", "../../playbooks/"},
		{"help"},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close() // the reader is gone before the first line
		var errb bytes.Buffer
		cmd := exec.Command(binary(t), args...)
		cmd.Stdout, cmd.Stderr = w, &errb
		err = cmd.Run()
		w.Close()
		if code := cmd.ProcessState.ExitCode(); code != ExitOK || errb.Len() > 0 {
			t.Errorf("%v: exit %d (%v), want %d and nothing on stderr:\n%s", args, code, err, ExitOK, errb.String())
		}
	}
}
