package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// chownAll gives dir and everything in it to uid (and its group).
func chownAll(t *testing.T, dir string, uid int) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRunTrustsAWorkspaceNamedInArsenalSafeDirectories: in a CI container
// the workspace belongs to the runner's user (1001) and the job runs as
// root. run --policy with a policy there, and plugins there, were refused
// with no way out but chown; the refusal now says to set
// ARSENAL_SAFE_DIRECTORIES, and with it set in the job's environment the
// run goes on. The playbook cannot set it for itself: its env: is for
// the processes its steps start.
func TestRunTrustsAWorkspaceNamedInArsenalSafeDirectories(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files owned by another user")
	}
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	t.Setenv("ARSENAL_SAFE_DIRECTORIES", "")
	ws := filepath.Join(t.TempDir(), "ws")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state")
	plugins := pluginDir(t)
	pb := writePlaybook(t, ws, "pb.yaml", "version: 1\nname: ci\nenv: {ARSENAL_SAFE_DIRECTORIES: '*'}\nsteps:\n  - {id: hi, op: acme.greet, with: {who: ci}}\n")
	policy := writePlaybook(t, ws, "policy.yaml", "version: 1\nroles:\n  operator: {allow: ['*']}\n")
	chownAll(t, ws, 1001)
	chownAll(t, plugins, 1001)
	args := []string{"run", pb, "--state-dir", state, "--policy", policy, "--plugins", plugins}

	runWithin(t, args...).want(t, ExitUsage, nil, []string{
		"the plugin directory is owned by user 1001",
		"set ARSENAL_SAFE_DIRECTORIES=" + plugins + " in the environment that starts arsenal-run",
	})
	t.Setenv("ARSENAL_SAFE_DIRECTORIES", plugins)
	runWithin(t, args...).want(t, ExitUsage, nil, []string{
		policy + ": the policy is in " + ws + ", a directory owned by user 1001",
		"set ARSENAL_SAFE_DIRECTORIES=" + ws + " in the environment that starts arsenal-run",
	})
	t.Setenv("ARSENAL_SAFE_DIRECTORIES", plugins+":"+ws)
	r := runWithin(t, args...)
	r.want(t, ExitOK, nil, nil)
	// Said once each, as a daemon logs it: a CI log shows whose files
	// the run trusted. Before, run was silent.
	for _, want := range []string{
		"arsenal-run: trusting " + policy + ", owned by user 1001, as $ARSENAL_SAFE_DIRECTORIES names " + ws + "\n",
		"arsenal-run: trusting " + plugins,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("run does not say %q:\n%s", want, r.stderr)
		}
	}
	if n := strings.Count(r.stderr, "trusting "+policy+","); n != 1 {
		t.Errorf("run says its trust of %s %d times, want once:\n%s", policy, n, r.stderr)
	}
	// Every user's write is refused still.
	if err := os.Chmod(policy, 0o666); err != nil {
		t.Fatal(err)
	}
	runWithin(t, args...).want(t, ExitUsage, nil, []string{policy + ": the policy's mode 0666 lets every user of this host write it"})
}

// TestDaemonsLogWhatTheyTrustThroughArsenalSafeDirectories: schedule and
// serve, whose runs have roles their playbooks' owners may not, trust
// playbooks in a directory of user 1001's only through
// ARSENAL_SAFE_DIRECTORIES, and say so in their log, naming each path.
func TestDaemonsLogWhatTheyTrustThroughArsenalSafeDirectories(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files owned by another user")
	}
	t.Setenv("ARSENAL_SAFE_DIRECTORIES", "")
	f := newServeFixture(t)
	pb := writePlaybook(t, f.playbooks, "nightly.yaml", "version: 1\nname: nightly\nschedule: {cron: \"@daily\"}\nsteps:\n  - {id: a, op: control.noop}\n")
	chownAll(t, f.playbooks, 1001)
	runWithin(t, "schedule", pb, "--state-dir", f.state).want(t, ExitUsage, nil, []string{
		"is in " + f.playbooks + ", a directory owned by user 1001",
		"ARSENAL_SAFE_DIRECTORIES=" + f.playbooks,
	})

	env := []string{"ARSENAL_SAFE_DIRECTORIES=relative:" + f.playbooks}
	for _, c := range []struct {
		marker string
		args   []string
	}{
		{"scheduler started", []string{"schedule", pb, "--state-dir", f.state}},
		{"listening on", []string{"serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--playbooks", f.playbooks, "--state-dir", f.state}},
	} {
		p := startEnv(t, env, c.marker, c.args...)
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.wait(t)
		log := p.stderr.String()
		for _, want := range []string{
			"$ARSENAL_SAFE_DIRECTORIES: the files in these directories are trusted whoever owns them",
			`$ARSENAL_SAFE_DIRECTORIES: "relative" is not an absolute path and ignored`,
			"trusting " + f.playbooks + ", a directory owned by user 1001, as $ARSENAL_SAFE_DIRECTORIES names " + f.playbooks,
			"trusting " + pb + ", owned by user 1001, as $ARSENAL_SAFE_DIRECTORIES names " + f.playbooks,
		} {
			if !strings.Contains(log, want) {
				t.Errorf("%s does not log %q:\n%s", c.args[0], want, log)
			}
		}
		if n := strings.Count(log, "trusting "+pb+","); n != 1 {
			t.Errorf("%s logs its trust of %s %d times, want once:\n%s", c.args[0], pb, n, log)
		}
	}
}

// TestArsenalSafeDirectoriesCoversStateDirs: a state dir in a workspace
// of user 1001's was refused to run and to the daemons whatever
// ARSENAL_SAFE_DIRECTORIES said, with no word of it; the refusal now
// names the variable, and with the workspace named the state dir is used
// as every other file there is, run saying what it trusted.
func TestArsenalSafeDirectoriesCoversStateDirs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files owned by another user")
	}
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	t.Setenv("ARSENAL_SAFE_DIRECTORIES", "")
	ws := filepath.Join(t.TempDir(), "ws")
	state := filepath.Join(ws, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	pb := writePlaybook(t, t.TempDir(), "pb.yaml", "version: 1\nname: ci\nschedule: {cron: \"@daily\"}\nsteps:\n  - {id: a, op: control.noop}\n")
	chownAll(t, ws, 1001)
	hint := "set ARSENAL_SAFE_DIRECTORIES=" + state + " in the environment that starts arsenal-run"
	runWithin(t, "run", pb, "--state-dir", state).want(t, ExitUsage, nil, []string{"the state dir " + state + " belongs to user 1001", hint})
	runWithin(t, "schedule", pb, "--state-dir", state).want(t, ExitUsage, nil, []string{"the state dir " + state + " belongs to user 1001", hint})

	t.Setenv("ARSENAL_SAFE_DIRECTORIES", ws)
	r := runWithin(t, "run", pb, "--state-dir", state)
	r.want(t, ExitOK, nil, []string{"arsenal-run: trusting " + state + ", owned by user 1001, as $ARSENAL_SAFE_DIRECTORIES names " + ws})
	runWithin(t, "history", "--state-dir", state).want(t, ExitOK, []string{"ci"}, nil)
	if msg := stateDirProblem(state); msg != "" {
		t.Errorf("the daemons' check of a state dir in a safe directory: %s", msg)
	}
}
