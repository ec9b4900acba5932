package cli

import "slices"

// runFlagHint says what to do with a flag of run given to validate, or ""
// when run has no such flag either. validate checks a playbook without
// running it, so it takes no inputs, reports or state: a run's --dry-run
// checks those and executes only read operations.
func runFlagHint(name string) string {
	var run *command
	for _, c := range commands() {
		if c.name == "run" {
			run = c
		}
	}
	if run == nil || commandFlags(run, "").Lookup(name) == nil {
		return ""
	}
	if slices.Contains([]string{"input", "inputs"}, name) {
		return ": validate checks the playbook alone, without input values; to check them too, give them to run with --dry-run, as 'arsenal-run run PLAYBOOK --dry-run --" + name + " ...', which refuses bad ones before any step and executes only read operations"
	}
	return ": a flag of run, not of validate, which checks the playbook without running it; to see what a run with it would do, give it to 'arsenal-run run PLAYBOOK --dry-run'"
}
