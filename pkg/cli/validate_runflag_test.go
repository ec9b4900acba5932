package cli

import (
	"strings"
	"testing"
)

// TestValidateNamesRunsFlags: a flag of run given to validate said only
// "unknown flag --input", leaving the reader to guess whether inputs are
// checked some other way; it says now that validate takes none and which
// command checks them. A flag neither takes is unknown, as before.
func TestValidateNamesRunsFlags(t *testing.T) {
	pb := "../../playbooks/hello.yaml"
	r := runMain(t, "validate", pb, "--input", "who=x")
	r.want(t, ExitUsage, nil, []string{"unknown flag --input: validate checks the playbook alone, without input values; to check them too, give them to run with --dry-run, as 'arsenal-run run PLAYBOOK --dry-run --input ...'"})
	r = runMain(t, "validate", pb, "--yes")
	r.want(t, ExitUsage, nil, []string{"unknown flag --yes: a flag of run, not of validate, which checks the playbook without running it; to see what a run with it would do, give it to 'arsenal-run run PLAYBOOK --dry-run'"})
	r = runMain(t, "validate", pb, "--bogus")
	r.want(t, ExitUsage, nil, []string{"unknown flag --bogus\n"})
	if r.stdout != "" || strings.Contains(r.stderr, "flag of run") {
		t.Errorf("--bogus: stdout %q, stderr:\n%s", r.stdout, r.stderr)
	}
}
