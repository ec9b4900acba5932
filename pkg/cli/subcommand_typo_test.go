package cli

import "testing"

// TestMistypedSubcommandsAreNamed: a mistyped subcommand of report, keys,
// completion and remote gets a did-you-mean, as those of ops, cache, store
// and history do, and exit 2; one merely incomplete says what it needs.
func TestMistypedSubcommandsAreNamed(t *testing.T) {
	srv := "--server=http://127.0.0.1:1"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "shwo", "r.json"}, `unknown subcommand "shwo" (did you mean "show"?); write it as 'report show REPORT.json'`},
		{[]string{"keys", "nwe", "--name", "ci", "--role", "operator"}, `unknown subcommand "nwe" (did you mean "new"?); the command is 'keys new`},
		{[]string{"completion", "bsh"}, `no completion script for "bsh" (did you mean "bash"?); the shells are`},
		{[]string{"completion", "tcsh"}, `no completion script for "tcsh"; the shells are`},
		{[]string{"remote", srv, "rnus"}, `subcommand "rnus" (did you mean "runs"?); give`},
		{[]string{"remote", srv, "lsit"}, `subcommand "lsit" (did you mean "ops list"?); give`},
		{[]string{"remote", srv, "ops", "lsit"}, `subcommand "ops lsit" (did you mean "list"?); give`},
		{[]string{"remote", srv, "exec"}, `exec needs the operation to execute: write it as 'remote exec OP [--param k=v]...'`},
	} {
		runMain(t, tc.args...).want(t, ExitUsage, nil, []string{tc.want})
	}
}
