package cli

import "testing"

// TestValidateNamesRunsFlags: validate given a flag of run (--input,
// --inputs, --yes) says whose flag it is and what to do instead, not just
// "unknown flag"; a flag of several commands names them all, and a flag
// no command has is unknown, as before.
func TestValidateNamesRunsFlags(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "h.yaml", "version: 1\nname: h\nsteps:\n  - {id: a, op: control.noop}\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--input", "x=1"}, "unknown flag --input: it is a flag of run and remote run; validate checks a playbook without running it and takes no inputs: leave --input out; to check the inputs too, give them to run with --dry-run (arsenal-run run FILE --dry-run --input NAME=VALUE), which refuses bad ones before any step and executes only read operations\n"},
		{[]string{"--inputs", "in.yaml"}, "unknown flag --inputs: it is a flag of run; validate checks a playbook without running it and takes no inputs: leave --inputs out"},
		{[]string{"--yes"}, "unknown flag --yes: it is a flag of run and remote run; validate asks nothing and runs nothing: leave --yes out\n"},
		{[]string{"--follow"}, "unknown flag --follow: it is a flag of remote run, not of validate: leave it out, or give it to the command it belongs to\n"},
		{[]string{"--no-such-flag"}, "unknown flag --no-such-flag\n"},
	} {
		args := append([]string{"validate"}, tc.args...)
		runMain(t, append(args, pb)...).want(t, ExitUsage, nil, []string{tc.want})
	}
}
