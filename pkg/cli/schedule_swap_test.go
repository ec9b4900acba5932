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
		if got := scheduleProblems(t, path); !strings.Contains(got, pb+": the playbook's mode 0666 lets every user of this host write it") ||
			!strings.Contains(got, "chmod go-w "+pb) {
			t.Errorf("schedule %s with a playbook of mode 0666: %s", path, got)
		}
	}
	chmod(pb, 0o644)
	chmod(dir, 0o777|os.ModeSticky)
	if got := scheduleProblems(t, dir); !strings.Contains(got, dir+": the playbooks directory's mode 1777 lets every user of this host write it and add a playbook") ||
		!strings.Contains(got, "chmod go-w "+dir) {
		t.Errorf("schedule of a directory of mode 1777: %s", got)
	}
	chmod(dir, 0o777)
	if got := scheduleProblems(t, pb); !strings.Contains(got, pb+": the playbook is in "+dir+", a directory every user of this host may write (mode 0777)") ||
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
	if got := scheduleProblems(t, pb); !strings.Contains(got, pb+": the playbook is in "+dir+", a directory every user of this host may write, and "+pb+" there is owned by user 4343") {
		t.Errorf("schedule of another user's playbook in a sticky directory: %s", got)
	}
}

// TestScheduleRefusesFilesItsPlaybooksReadThatAnotherUserCouldSwap: the
// env files, input files and sub-playbooks a scheduled playbook reads
// are read by its runs, with --roles, so at start and on every reload one
// another user could swap is a problem at the line that names it, with
// the chmod that fixes it.
func TestScheduleRefusesFilesItsPlaybooksReadThatAnotherUserCouldSwap(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "jobs")
	shared := filepath.Join(dir, "shared")
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, src string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	chmod := func(p string, m os.FileMode) {
		t.Helper()
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	envFile, token, pb := filepath.Join(dir, ".env"), filepath.Join(dir, "token"), filepath.Join(dir, "a.yaml")
	write(envFile, "WHO=author\n")
	write(token, "t0k3n\n")
	write(filepath.Join(shared, "sub.yaml"), "version: 1\nname: sub\nsteps:\n  - {id: a, op: control.noop}\n")
	write(pb, `version: 1
name: a
schedule: {cron: "@hourly"}
env_file: .env
inputs:
  who: {type: string, env: WHO}
  token: {type: string, from_file: token}
steps:
  - {id: sub, op: playbook.run, with: {path: shared/sub.yaml}}
`)
	if got := scheduleProblems(t, dir); got != "" {
		t.Fatalf("every file its owner's alone: %s", got)
	}
	chmod(envFile, 0o666)
	if got := scheduleProblems(t, dir); !strings.Contains(got, pb+":4:11: env_file .env: the env file's mode 0666 lets every user of this host write it") ||
		!strings.Contains(got, "chmod go-w "+envFile) {
		t.Errorf("an env file of mode 0666: %s", got)
	}
	chmod(envFile, 0o644)
	chmod(token, 0o666)
	if got := scheduleProblems(t, dir); !strings.Contains(got, pb+":7:36: from_file token: the input file's mode 0666 lets every user of this host write it") ||
		!strings.Contains(got, "chmod go-w "+token) {
		t.Errorf("an input file of mode 0666: %s", got)
	}
	chmod(token, 0o644)
	chmod(shared, 0o777)
	if got := scheduleProblems(t, dir); !strings.Contains(got, pb+":9:46: playbook.run: shared/sub.yaml: the sub-playbook is in "+shared+", a directory every user of this host may write (mode 0777)") ||
		!strings.Contains(got, "chmod o-w "+shared) {
		t.Errorf("a sub-playbook in a directory of mode 0777: %s", got)
	}
}

// TestDaemonsRefuseAnInventoryAnotherUserCouldSwap: the inventory says
// where the ssh.* steps of serve's and schedule's runs connect, with
// their roles, and a known_hosts file which server may pass for a host,
// so one every user may write is refused at start with the chmod that
// fixes it; run, a user's own files, still reads it.
func TestDaemonsRefuseAnInventoryAnotherUserCouldSwap(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(inv, []byte("version: 1\nhosts:\n  web-1: {address: 127.0.0.1}\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(inv, 0o666); err != nil {
		t.Fatal(err)
	}
	known := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(known, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	pb := filepath.Join(dir, "a.yaml")
	if err := os.WriteFile(pb, []byte("version: 1\nname: a\nschedule: {cron: \"@hourly\"}\nsteps:\n  - {id: a, op: control.noop}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"schedule", pb, "--inventory", inv, "--known-hosts", known, "--state-dir", filepath.Join(dir, "state")},
		{"serve", "--playbooks", dir, "--keys", filepath.Join(dir, "keys.yaml"), "--inventory", inv, "--known-hosts", known, "--state-dir", filepath.Join(dir, "state"), "--listen", "127.0.0.1:0"},
	} {
		runWithin(t, args...).want(t, ExitUsage, nil, []string{"--inventory " + inv + ": the inventory's mode 0666 lets every user of this host write it", "chmod go-w " + inv})
	}
	runWithin(t, "run", pb, "--inventory", inv, "--known-hosts", known).want(t, ExitOK, nil, nil)
}

// TestScheduleRefusesFilesAnotherUserOwns: a scheduled playbook, its
// directory, and the env file, input file and sub-playbook it reads, of
// mode 0644 in directories of mode 0755, are still another user's to
// rewrite when that user (uid 1001) owns them, or owns a directory above
// them: root's runs would do what they write. Each is a problem at the
// line that names it, with the owner and the chown that fixes it; run, a
// user's own choice of files, still reads them.
func TestScheduleRefusesFilesAnotherUserOwns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("root alone can make a file of another user")
	}
	const other = 1001
	dir := filepath.Join(t.TempDir(), "jobs")
	shared := filepath.Join(dir, "shared")
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, src string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	chown := func(p string, uid int) {
		t.Helper()
		if err := os.Chown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	envFile, token, pb := filepath.Join(dir, ".env"), filepath.Join(dir, "token"), filepath.Join(dir, "a.yaml")
	write(envFile, "WHO=author\n")
	write(token, "t0k3n\n")
	write(filepath.Join(shared, "sub.yaml"), "version: 1\nname: sub\nsteps:\n  - {id: a, op: control.noop}\n")
	write(pb, `version: 1
name: a
schedule: {cron: "@hourly"}
env_file: .env
inputs:
  who: {type: string, env: WHO}
  token: {type: string, from_file: token}
steps:
  - {id: sub, op: playbook.run, with: {path: shared/sub.yaml}}
`)
	if got := scheduleProblems(t, dir); got != "" {
		t.Fatalf("every file root's: %s", got)
	}
	for _, c := range []struct {
		path string
		want []string
	}{
		{pb, []string{pb + ": the playbook is owned by user 1001", "make it run any operation with the roles its callers or its schedule give it", "chown root " + pb}},
		{dir, []string{dir + ": the playbooks directory is owned by user 1001", "add a playbook", "chown root " + dir}},
		{envFile, []string{pb + ":4:11: env_file .env: the env file is owned by user 1001", "chown root " + envFile}},
		{token, []string{pb + ":7:36: from_file token: the input file is owned by user 1001", "chown root " + token}},
		{shared, []string{pb + ":9:46: playbook.run: shared/sub.yaml: the sub-playbook is in " + shared + ", a directory owned by user 1001", "who can rename a file of their own over " + filepath.Join(shared, "sub.yaml"), "chown root " + shared}},
	} {
		chown(c.path, other)
		got := scheduleProblems(t, dir)
		for _, want := range c.want {
			if !strings.Contains(got, want) {
				t.Errorf("%s of user 1001's: %s\nlacks %q", c.path, got, want)
			}
		}
		chown(c.path, 0)
	}
	chown(filepath.Join(shared, "sub.yaml"), other)
	runWithin(t, "run", pb).want(t, ExitOK, nil, nil)
}
