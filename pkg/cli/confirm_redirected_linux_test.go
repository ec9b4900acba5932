package cli

import (
	"bytes"
	"strings"
	"testing"
)

// TestConfirmDeniedSaysWhichStreamIsRedirected: at a terminal, with
// stderr piped through tee (or stdin from a file), a confirm: step is
// denied, as nobody can be asked; its error said "there is no terminal
// to ask" to someone at one. It now says which stream is not the
// terminal and what to do.
func TestConfirmDeniedSaysWhichStreamIsRedirected(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "restart.yaml", "version: 1\nname: restart\nsteps:\n"+
		"  - {id: restart, op: shell.exec, confirm: \"restart api?\", with: {command: [\"true\"]}}\n")
	for _, tc := range []struct {
		name        string
		stdinTerm   bool
		stderrTerm  bool
		want, wrong string
	}{
		{"stderr piped", true, false, "but stderr, where the question is asked, is not a terminal (it is redirected: 2>&1 | tee, 2>FILE); leave stderr on the terminal", "no terminal to ask"},
		{"stdin redirected", false, true, "but stdin, where the answer is read, is not a terminal", "no terminal to ask"},
		{"neither a terminal", false, false, "but there is no terminal to ask; run with --yes to confirm", "redirected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, pts := openPTYPair(t)
			var stdout, stderr bytes.Buffer
			e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
				getenv: func(k string) string { return map[string]string{"TERM": "dumb"}[k] }, newRegistry: NewRegistry}
			if tc.stdinTerm {
				e.stdin = pts
			}
			if tc.stderrTerm {
				e.stderr = &output{w: pts}
			}
			code := dispatch(e, []string{"run", pb, "--state-dir", t.TempDir()}, commands())
			if code != ExitDenied {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitDenied, stdout.String(), stderr.String())
			}
			// The summary, on stdout, ends with the run's error.
			got := strings.Join(strings.Fields(stdout.String()), " ")
			if !strings.Contains(got, tc.want) || strings.Contains(got, tc.wrong) {
				t.Errorf("summary does not say %q (or says %q):\n%s", tc.want, tc.wrong, stdout.String())
			}
		})
	}
}
