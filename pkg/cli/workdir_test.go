package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDaemonsStartedInRootWarn: serve and schedule started in / (a
// systemd unit without WorkingDirectory=) warn at start-up that the roles
// without file_roots may touch every file, naming them and what to set;
// started elsewhere, or with every role they use given file_roots, they
// do not. Before, nothing said so.
func TestDaemonsStartedInRootWarn(t *testing.T) {
	stop := func(p *started) string {
		t.Helper()
		p.cmd.Process.Signal(syscall.SIGTERM)
		if c := p.wait(t); c != ExitOK {
			t.Errorf("exit %d\n%s", c, p.stderr.String())
		}
		return p.stderr.String()
	}
	t.Run("serve", func(t *testing.T) {
		f := newServeFixture(t)
		args := []string{"serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--playbooks", f.playbooks, "--state-dir", f.state}
		out := stop(startIn(t, "/", nil, "listening on", args...))
		want := "the working directory of serve is /, so roles admin, operator, viewer, which set no file_roots, may touch every file of this machine"
		if !strings.Contains(out, want) || !strings.Contains(out, "WorkingDirectory= in its systemd unit") ||
			!strings.Contains(out, "or set file_roots of those roles in a policy file given with --policy") {
			t.Errorf("no warning %q in\n%s", want, out)
		}
		out = stop(startIn(t, f.dir, nil, "listening on", args...))
		if strings.Contains(out, "the working directory of serve") {
			t.Errorf("serve started in %s warns of /:\n%s", f.dir, out)
		}
	})
	t.Run("schedule", func(t *testing.T) {
		dir := t.TempDir()
		jobs := filepath.Join(dir, "jobs")
		if err := os.Mkdir(jobs, 0o755); err != nil {
			t.Fatal(err)
		}
		writePlaybook(t, jobs, "tick.yaml", everySecond)
		args := []string{"schedule", jobs, "--state-dir", filepath.Join(dir, "state")}
		out := stop(startIn(t, "/", nil, "scheduler started", args...))
		if want := "the working directory of schedule is /, so role operator, which sets no file_roots, may touch every file"; !strings.Contains(out, want) {
			t.Errorf("no warning %q in\n%s", want, out)
		}
		// A role that sets file_roots, and one that inherits it, act there.
		pol := writePlaybook(t, dir, "policy.yaml", "version: 1\nroles:\n  ops: {max_risk: write, file_roots: ["+dir+"]}\n  oncall: {inherits: [ops]}\n")
		out = stop(startIn(t, "/", nil, "scheduler started", append(args, "--policy", pol, "--role", "oncall")...))
		if strings.Contains(out, "the working directory of schedule") {
			t.Errorf("a role with file_roots is warned of:\n%s", out)
		}
	})
}

// TestRootTempDirWarns: a daemon whose TMPDIR is / warns as one started
// in /: a role without file_roots acts in the temp directory too, so it
// may touch every file. Before, only the working directory was looked at.
func TestRootTempDirWarns(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("TMPDIR", "/")
	msg := rootWorkdir("serve", nil, nil, "")
	for _, want := range []string{
		"the temp directory of serve is / (TMPDIR=/), so roles admin, operator, viewer, which set no file_roots, may touch every file of this machine",
		"set TMPDIR to a directory of serve's own, or unset it for /tmp, or set file_roots of those roles",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("no %q in %q", want, msg)
		}
	}
	t.Chdir("/")
	if want := "the working directory of schedule is /, and so is its temp directory (TMPDIR=/), so role operator"; !strings.Contains(rootWorkdir("schedule", nil, []string{"operator"}, ""), want) {
		t.Errorf("both at /: no %q", want)
	}
	t.Chdir(t.TempDir())
	t.Setenv("TMPDIR", t.TempDir())
	if msg := rootWorkdir("serve", nil, nil, ""); msg != "" {
		t.Errorf("neither at /: %q", msg)
	}
}
