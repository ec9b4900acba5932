package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// openSizedPTY opens a pseudo-terminal cols columns wide and returns its
// controlling end, to read what was written, and its terminal end.
func openSizedPTY(t *testing.T, cols int) (ptm, pts *os.File) {
	t.Helper()
	ptm, pts = openPTYEnds(t)
	if err := unix.IoctlSetWinsize(int(pts.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(cols), Row: 24}); err != nil {
		t.Skipf("set window size: %v", err)
	}
	return ptm, pts
}

// TestReportShowFitsTheTerminal: on a terminal `report show` fits the
// summary to its width, as the summary at the end of `run` is: a long
// note wraps under itself instead of into the next row.
func TestReportShowFitsTheTerminal(t *testing.T) {
	dir := t.TempDir()
	rep := filepath.Join(dir, "r.json")
	pb := writePlaybook(t, dir, "nightly.yaml", "version: 1\nname: nightly\nsteps:\n"+
		"  - {id: check, op: control.fail, with: {message: \"the disk of the database host is nearly full, clean the old logs and rotate them before the backup\"}}\n")
	if res := runMain(t, "run", pb, "--report", rep, "--log-format", "json"); res.code != ExitFailed {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	ptm, pts := openSizedPTY(t, 70)
	e := &env{stdin: strings.NewReader(""), stdout: &output{w: pts}, stderr: io.Discard, getenv: func(string) string { return "" }, newRegistry: NewRegistry}
	done := make(chan []byte)
	go func() {
		var b bytes.Buffer
		io.Copy(&b, ptm) // until the terminal end is closed
		done <- b.Bytes()
	}()
	code := dispatch(e, []string{"report", "show", rep}, commands())
	pts.Close()
	got := strings.ReplaceAll(string(<-done), "\r\n", "\n")
	if code != ExitOK {
		t.Fatalf("report show: exit %d\n%s", code, got)
	}
	if !strings.Contains(got, "check") || !strings.Contains(got, "before the backup") {
		t.Fatalf("the summary lacks the step or its note:\n%s", got)
	}
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if strings.Contains(l, "control.fail") && termtext.Width(l) > 70 {
			t.Errorf("a step row %d columns wide, past the terminal's 70:\n%s", termtext.Width(l), got)
		}
	}
}
