package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDaemonsRefuseAStateDirAnotherUserCouldChange: the history database
// of the state dir holds the result cache, which answers steps without
// running them, and the schedules' pauses, and serve and schedule empty
// its lock file, all with roles another user of the host may not have; so
// a state dir every user may write (sticky or not), another user's, or
// one that holds another user's file or link is refused at start, named,
// with what fixes it, before anything in it is opened. run, on a user's
// own state dir, still uses it.
func TestDaemonsRefuseAStateDirAnotherUserCouldChange(t *testing.T) {
	f := newServeFixture(t)
	pb := writePlaybook(t, f.dir, "nightly.yaml", "version: 1\nname: nightly\nschedule: {cron: \"@hourly\"}\nsteps:\n  - {id: a, op: control.noop}\n")
	state := f.state
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	daemons := func(want ...string) {
		t.Helper()
		for _, args := range [][]string{
			{"schedule", pb, "--state-dir", state},
			{"serve", "--keys", f.keys, "--playbooks", f.playbooks, "--state-dir", state, "--listen", "127.0.0.1:0"},
		} {
			runWithin(t, args...).want(t, ExitUsage, nil, want)
		}
	}
	for _, mode := range []os.FileMode{0o777, 0o777 | os.ModeSticky} {
		if err := os.Chmod(state, mode); err != nil {
			t.Fatal(err)
		}
		// The mode as ls shows it: 1777 with the sticky bit.
		shown := "0777"
		if mode&os.ModeSticky != 0 {
			shown = "1777"
		}
		daemons("--state-dir: the state dir's mode "+shown+" lets every user of this host write it and forge what serve and schedule read there (the result cache, which answers steps without running them",
			"chmod o-w "+state)
		if entries, _ := os.ReadDir(state); len(entries) != 0 {
			t.Fatalf("a refused state dir of mode %v was written: %v", mode, entries)
		}
	}
	// A user's own run on a state dir of their own is theirs to judge.
	runWithin(t, "run", pb, "--state-dir", state).want(t, ExitOK, nil, nil)
	if err := os.Chmod(state, 0o770); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return // root alone can make a file of another user
	}
	// A state dir another user owns, or that one squatted before it was
	// made, is theirs to fill.
	if err := os.Chown(state, 4343, -1); err != nil {
		t.Fatal(err)
	}
	daemons("--state-dir: the state dir "+state+" belongs to user 4343, who can forge what serve and schedule read there", "chown -R 0 "+state)
	if err := os.Chown(state, 0, -1); err != nil {
		t.Fatal(err)
	}
	// A history database another user put there while the directory was
	// open to them answers the cache lookups with what they wrote.
	db := filepath.Join(state, "history.db")
	if err := os.Chown(db, 4343, -1); err != nil {
		t.Fatal(err)
	}
	daemons(db+" in the state dir belongs to user 4343, who can change it", "chown 0 "+db)
	if err := os.Chown(db, 0, -1); err != nil {
		t.Fatal(err)
	}
	// A link of theirs in place of the lock file: the scheduler would
	// empty the file it names.
	victim := filepath.Join(f.dir, "victim")
	if err := os.WriteFile(victim, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(state, "scheduler.lock")
	os.Remove(lock)
	if err := os.Symlink(victim, lock); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(lock, 4343, -1); err != nil {
		t.Fatal(err)
	}
	daemons(lock + " in the state dir belongs to user 4343")
	if got := string(mustRead(t, victim)); got != "keep me\n" {
		t.Errorf("the file the lock's link names became %q", got)
	}
	// Group write is the owner's choice: a state dir of mode 0770 of
	// this user's is not refused.
	os.Remove(lock)
	if msg := stateDirProblem(state); msg != "" {
		t.Errorf("a state dir of mode 0770 of this user's: %s", msg)
	}
}

// TestRunWarnsOfAStateDirOthersMayWriteAndRefusesAnotherUsers: run's own
// state dir in /tmp is the user's choice, but one every user may write is
// warned of (any of them could put a history database or its journal
// there before it is made), and one another user owns is refused by run
// and by the commands that read it, named, with what to do: that user's
// cache would answer this user's steps.
func TestRunWarnsOfAStateDirOthersMayWriteAndRefusesAnotherUsers(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "p.yaml", "version: 1\nname: p\nsteps:\n  - {id: a, op: control.noop}\n")
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(state, 0o777); err != nil {
		t.Fatal(err)
	}
	runWithin(t, "run", pb, "--state-dir", state).want(t, ExitOK, nil,
		[]string{"the state dir " + state + " (mode 0777) lets every user of this host write it", "chmod o-w " + state})
	if err := os.Chmod(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if r := runWithin(t, "run", pb, "--state-dir", state); strings.Contains(r.stderr, "lets every user") {
		t.Errorf("a state dir of mode 0700 was warned of:\n%s", r.stderr)
	}
	if os.Geteuid() != 0 {
		return // root alone can make a file of another user
	}
	if err := os.Chown(state, 4343, -1); err != nil {
		t.Fatal(err)
	}
	want := []string{"the state dir " + state + " belongs to user 4343", "use a state dir of your own", "chown -R 0 " + state}
	runWithin(t, "run", pb, "--state-dir", state).want(t, ExitUsage, nil, append(want, "nothing ran"))
	for _, args := range [][]string{{"history"}, {"stats"}, {"cache", "list"}} {
		r := runWithin(t, append(args, "--state-dir", state)...)
		if r.code == ExitOK {
			t.Errorf("%v on another user's state dir: exit 0", args)
		}
		for _, w := range want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr does not contain %q:\n%s", args, w, r.stderr)
			}
		}
	}
}

// TestDaemonsRefuseAStateDirInAnotherUsersDirectory: a state dir of
// root's in a directory another user owns (mode 0755) is refused for
// serve and schedule: that user may rename a directory of their own over
// it, and fill it, whenever they like.
func TestDaemonsRefuseAStateDirInAnotherUsersDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("root alone can make a directory of another user")
	}
	home := filepath.Join(t.TempDir(), "alice")
	state := filepath.Join(home, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, 4343, -1); err != nil {
		t.Fatal(err)
	}
	want := "the state dir is in " + home + ", a directory owned by user 4343, who can rename a directory of their own over " + state + " at any time and forge what serve and schedule read there"
	if msg := stateDirProblem(state); !strings.Contains(msg, want) || !strings.Contains(msg, "chown root "+home) {
		t.Errorf("a state dir in user 4343's directory: %q, want %q", msg, want)
	}
}
