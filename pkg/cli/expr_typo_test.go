package cli

import "testing"

// TestExpressionTyposNameWhatWasMeant: a misspelt function is offered the
// function meant (not a root name like env), and a misspelt field of run
// or of a retry's error is offered the field meant, with those it has.
func TestExpressionTyposNameWhatWasMeant(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ expr, want string }{
		{`lenn(inputs.host)`, `:8:26: unknown function lenn (did you mean "len"?); the functions an expression can call are listed in docs/playbooks.md`},
		{`uper(inputs.host)`, `unknown function uper (did you mean "upper"?)`},
		{`inputs.host | uppper()`, `unknown function uppper (did you mean "upper"?)`},
		{`run.stauts`, `:8:30: run has no field "stauts" (did you mean "status"?); it has id, playbook, status, started_at, failed_steps, url`},
		{`run?.playbok`, `run has no field "playbok" (did you mean "playbook"?)`},
	} {
		pb := writePlaybook(t, dir, "t.yaml", "version: 1\nname: t\ninputs:\n  host: {type: string, default: x}\nsteps:\n  - id: a\n    op: control.log\n    with: {message: \"${{ "+tc.expr+" }}\"}\n")
		runMain(t, "validate", pb).want(t, ExitUsage, nil, []string{tc.want})
	}
	pb := writePlaybook(t, dir, "r.yaml", "version: 1\nname: r\nsteps:\n  - id: a\n    op: control.log\n    with: {message: x}\n    retry: {attempts: 3, until: \"${{ error.mesage != '' }}\"}\n")
	runMain(t, "validate", pb).want(t, ExitUsage, nil, []string{`:7:44: error has no field "mesage" (did you mean "message"?); it has class, message`})
}
