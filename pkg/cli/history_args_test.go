package cli

import (
	"path/filepath"
	"testing"
)

// TestHistoryArgumentSaysWhichFlagTakesIt: a state dir, a playbook file
// or a run id given to history as an argument (the way report show takes
// them) is refused as before, and the message says how to write it: as
// --state-dir, --playbook with the playbook's name, or 'history show'.
func TestHistoryArgumentSaysWhichFlagTakesIt(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "nightly.yaml", "version: 1\nname: nightly-backup\nsteps:\n  - {id: backup, op: control.noop}\n")
	runMain(t, "run", pb, "--state-dir", state).want(t, ExitOK, nil, nil)
	const refused = "history takes no arguments, only flags (or 'history show RUN_ID')"
	for _, tc := range []struct{ arg, want string }{
		{state, refused + "; to list the runs recorded in that state dir, give it as --state-dir " + state},
		{pb, refused + "; to list the runs of that playbook, give --playbook nightly-backup"},
		{"20261207T181749-0dd47b4d", refused + "; to see that run, write 'history show 20261207T181749-0dd47b4d'"},
	} {
		runMain(t, "history", tc.arg, "--state-dir", state).want(t, ExitUsage, nil, []string{tc.want})
	}
}
