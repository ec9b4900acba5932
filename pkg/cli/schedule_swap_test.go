package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScheduleRefusesAPlaybookAnotherUserCouldSwap: schedule runs its
// playbooks with --roles, at start and after every reload, so a playbook
// every user of the host may write, one in a directory that lets another
// user put a file of their own in its place, and a directory of playbooks
// every user may write (sticky or not: anyone could add one) are each
// refused, named, with what fixes it.
func TestScheduleRefusesAPlaybookAnotherUserCouldSwap(t *testing.T) {
	const text = "version: 1\nname: %s\nschedule: {cron: \"@hourly\"}\nsteps:\n  - {id: a, op: control.noop}\n"
	base := t.TempDir()
	dir := filepath.Join(base, "jobs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pb := filepath.Join(dir, "a.yaml")
	if err := os.WriteFile(pb, []byte(strings.Replace(text, "%s", "a", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	chmod := func(p string, m os.FileMode) {
		t.Helper()
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	if got := scheduleProblems(t, dir); got != "" {
		t.Fatalf("a playbook of mode 0644 in a directory of mode 0755: %s", got)
	}
	chmod(pb, 0o666)
	for _, path := range []string{dir, pb} {
		if got := scheduleProblems(t, path); !strings.Contains(got, pb+":1:1: the playbook's mode 0666 lets every user of this host write it") ||
			!strings.Contains(got, "chmod go-w "+pb) {
			t.Errorf("schedule %s with a playbook of mode 0666: %s", path, got)
		}
	}
	chmod(pb, 0o644)
	chmod(dir, 0o777|os.ModeSticky)
	if got := scheduleProblems(t, dir); !strings.Contains(got, dir+": the playbooks directory's mode 0777 lets every user of this host write it and add a playbook") ||
		!strings.Contains(got, "chmod go-w "+dir) {
		t.Errorf("schedule of a directory of mode 1777: %s", got)
	}
	chmod(dir, 0o777)
	if got := scheduleProblems(t, pb); !strings.Contains(got, pb+":1:1: the playbook is in "+dir+", a directory every user of this host may write (mode 0777)") ||
		!strings.Contains(got, "chmod o-w "+dir) {
		t.Errorf("schedule of a playbook in a directory of mode 0777: %s", got)
	}
	if os.Geteuid() != 0 {
		return // root alone can make a file of another user
	}
	// In a sticky directory (like /tmp), a playbook of another user's is
	// theirs to rewrite.
	chmod(dir, 0o777|os.ModeSticky)
	if err := os.Chown(pb, 4343, -1); err != nil {
		t.Fatal(err)
	}
	if got := scheduleProblems(t, pb); !strings.Contains(got, pb+":1:1: the playbook is in "+dir+", a directory every user of this host may write, and "+pb+" there is owned by user 4343") {
		t.Errorf("schedule of another user's playbook in a sticky directory: %s", got)
	}
}
