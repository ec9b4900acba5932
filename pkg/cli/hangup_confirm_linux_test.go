package cli

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestConfirmTerminalGoneCancelsTheRun: the terminal a confirm: question
// waits on goes away (its reads fail with EIO) and no SIGHUP comes, as
// when the shell that would pass it on ignores it. Nobody can answer: the
// run is cancelled as a hangup cancels it (its finally runs, exit 129),
// not recorded as a step the policy denied (exit 3).
func TestConfirmTerminalGoneCancelsTheRun(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	path := writePlaybook(t, dir, "ask.yaml", `version: 1
name: ask
steps:
  - {id: ask, op: control.log, confirm: "Really?", with: {message: asked}}
  - {id: after, op: control.log, needs: [ask], with: {message: after}}
finally:
  - {id: fin, op: control.log, with: {message: "fin"}}
`)
	reportPath := filepath.Join(dir, "report.json")
	ptm, pts := openPTYEnds(t)
	cmd := exec.Command(bin, "run", path, "--report", reportPath)
	cmd.Stdin, cmd.Stderr = pts, pts
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pts.Close() // the program's end is the program's alone
	hangUpWhenAsked(t, cmd, ptm)
	if code := exitOf(t, cmd); code != ExitHangup {
		t.Errorf("exit %d, want %d; stdout:\n%s", code, ExitHangup, stdout.String())
	}
	rep := readReport(t, reportPath)
	if rep.Status != report.StatusCancelled || rep.Error == nil || rep.Error.Class != "cancelled" {
		t.Errorf("run: %s, error %+v; want it cancelled", rep.Status, rep.Error)
	}
	steps := map[string]report.Step{}
	for _, s := range rep.Steps {
		steps[s.ID] = s
	}
	if s := steps["ask"]; s.Status != report.StatusCancelled || s.Error == nil || !strings.Contains(s.Error.Message, "the terminal went away while a confirm: question waited") {
		t.Errorf("step ask: %s, error %+v; want it cancelled, saying the terminal went away", s.Status, s.Error)
	}
	if s := steps["fin"]; s.Status != report.StatusSucceeded {
		t.Errorf("finally step fin: %s, want it run", s.Status)
	}
}

// TestRemoteConfirmTerminalGoneCancelsTheRun: remote run --follow asks on
// a terminal that goes away, with no SIGHUP. Nobody is left to answer:
// the run is cancelled on the server, as the hangup would have cancelled
// it, and the command exits 129, rather than following a run whose
// question waits for ever.
func TestRemoteConfirmTerminalGoneCancelsTheRun(t *testing.T) {
	f := newServeFixture(t)
	writePlaybook(t, f.playbooks, "guarded.yaml", "version: 1\nname: guarded\nsteps:\n  - {id: restart, op: control.noop, confirm: \"Restart the workers?\"}\n")
	_, base := f.serve(t)
	ptm, pts := openPTYEnds(t)
	cmd := exec.Command(binary(t), "remote", "run", "guarded", "--follow")
	cmd.Env = append(os.Environ(), "ARSENAL_API_KEY="+f.admin, "ARSENAL_SERVER="+base)
	cmd.Stdin, cmd.Stderr = pts, pts
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pts.Close()
	hangUpWhenAsked(t, cmd, ptm)
	if code := exitOf(t, cmd); code != ExitHangup {
		t.Errorf("exit %d, want %d; stdout:\n%s", code, ExitHangup, stdout.String())
	}
	code, body := apiCall(t, http.MethodGet, base+"/api/v1/runs?playbook=guarded", f.admin, nil)
	runs, _ := body["runs"].([]any)
	if code != http.StatusOK || len(runs) != 1 || runs[0].(map[string]any)["status"] != "cancelled" {
		t.Errorf("the run on the server: %d %v; want it cancelled", code, body)
	}
}

// hangUpWhenAsked closes the terminal ptm, the keyboard's end, once the
// program has shown a confirm: question on it.
func hangUpWhenAsked(t *testing.T, cmd *exec.Cmd, ptm *os.File) {
	t.Helper()
	shown := make(chan struct{})
	go func() {
		var screen []byte
		buf := make([]byte, 4096)
		for {
			n, err := ptm.Read(buf)
			screen = append(screen, buf[:n]...)
			if bytes.Contains(screen, []byte("(y/N)")) {
				close(shown)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-shown:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the question was never shown")
	}
	ptm.Close()
}

// exitOf waits for cmd, at most a minute, and returns its exit code.
func exitOf(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode()
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatal("it did not end once its terminal went away")
		return -1
	}
}
