package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// failingWriter fails every write with err.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// TestOutputWriteErrors: a command whose output cannot be written (a full
// disk) says so once and exits 1, whatever the command; a closed pipe
// (`| head`) stays quiet and keeps the command's code.
func TestOutputWriteErrors(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	playbookDir(t, map[string]string{
		"hello.yaml":        "version: 1\nname: hello\nsteps:\n  - {id: a, op: control.noop}\n",
		"jobs/nightly.yaml": scheduled("nightly", "30 2 * * *"),
	})
	runMain(t, "run", "hello.yaml", "--report", "r.json").want(t, ExitOK, nil, nil)
	for _, args := range [][]string{
		{"version"},
		{"report", "show", "r.json"},
		{"report", "show", "r.json", "--format", "html"},
		{"schema", "playbook"},
		{"ops", "list"},
		{"ops", "describe", "control.log"},
		{"validate", "hello.yaml"},
		{"run", "hello.yaml", "--list"},
		{"schedule", "jobs", "--next", "1000"},
		{"help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var errb bytes.Buffer
			code := Main(args, strings.NewReader(""), failingWriter{syscall.ENOSPC}, &errb)
			if code != ExitFailed || strings.Count(errb.String(), "arsenal-run: writing output: ") != 1 ||
				!strings.Contains(errb.String(), syscall.ENOSPC.Error()) {
				t.Errorf("full disk: exit %d, stderr:\n%s", code, errb.String())
			}
			errb.Reset()
			code = Main(args, strings.NewReader(""), failingWriter{syscall.EPIPE}, &errb)
			if code != ExitOK || errb.Len() != 0 {
				t.Errorf("closed pipe: exit %d, want 0 and nothing on stderr:\n%s", code, errb.String())
			}
		})
	}
}

// TestOutputToAHungUpTerminal: stdout on a terminal that went away fails
// with EIO; stderr (often a log file) says the terminal went away, not a
// bare I/O error that reads as a failing disk.
func TestOutputToAHungUpTerminal(t *testing.T) {
	var errb bytes.Buffer
	code := Main([]string{"version"}, strings.NewReader(""), failingWriter{syscall.EIO}, &errb)
	if code != ExitFailed || !strings.Contains(errb.String(), "the terminal of stdout went away") || strings.Contains(errb.String(), "writing output") {
		t.Errorf("hung-up terminal: exit %d, stderr:\n%s", code, errb.String())
	}
}

// TestOutputEIOIntoAFile: an EIO writing stdout redirected into a file
// (a network share, a failing disk) is said as the I/O error it is, not
// as a terminal that went away, which would send its reader looking for
// a closed session.
func TestOutputEIOIntoAFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var errb bytes.Buffer
	e := &env{stderr: &errb}
	code := outputFailed(e, &output{w: f, err: syscall.EIO}, []string{"history"}, ExitOK)
	if code != ExitFailed || !strings.Contains(errb.String(), "arsenal-run: writing output: "+syscall.EIO.Error()) || strings.Contains(errb.String(), "terminal") {
		t.Errorf("EIO into a file: exit %d, stderr:\n%s", code, errb.String())
	}
}

// TestHungUpTerminalSaysWhatFitsTheCommand: the message for a terminal
// that hung up spoke of a run's report whatever the command; history,
// stats and the other commands that write no report now say to run them
// again, a run where its report is, and one that changes things neither.
func TestHungUpTerminalSaysWhatFitsTheCommand(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // "" for no hint
	}{
		{[]string{"run", "deploy.yaml", "--report", "r.json"}, "the run's report is in its --report file and its state dir's history, if it was given them"},
		{[]string{"remote", "run", "deploy", "--follow"}, "the run's report is kept by the server: 'remote runs' lists it"},
		{[]string{"history", "--state-dir", "s"}, "run it again to see what it wrote"},
		{[]string{"stats"}, "run it again to see what it wrote"},
		{[]string{"remote", "runs"}, "run it again to see what it wrote"},
		{[]string{"cache", "clear"}, ""},
	} {
		var errb bytes.Buffer
		e := &env{stderr: &errb}
		outputFailed(e, &output{w: failingWriter{syscall.EIO}, err: syscall.EIO}, c.args, ExitOK)
		got := errb.String()
		head := "the terminal of stdout went away (" + syscall.EIO.Error() + "): what the command wrote there from then on was not shown"
		if !strings.Contains(got, head) {
			t.Errorf("%v: %q", c.args, got)
			continue
		}
		if c.want == "" && !strings.HasSuffix(got, "not shown\n") || c.want != "" && !strings.HasSuffix(got, c.want+"\n") {
			t.Errorf("%v: %q, want it to end with %q", c.args, got, c.want)
		}
		if c.args[0] != "run" && !slices.Contains(c.args, "run") && strings.Contains(got, "report") {
			t.Errorf("%v speaks of a report: %q", c.args, got)
		}
	}
}
