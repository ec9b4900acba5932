package cli

import (
	"bytes"
	"errors"
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
	ptm.Close() // the terminal goes away
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("the run did not end once its terminal went away")
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != ExitHangup {
		t.Errorf("exit: %v, want code %d; stdout:\n%s", err, ExitHangup, stdout.String())
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
