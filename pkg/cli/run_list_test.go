package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRunListChecksInputs: --list checks the inputs it is given as a run
// does, so that `--list --input nosuch=1` is not a silent success: an
// unknown name, a value its pattern refuses and a bad --inputs file are
// usage errors that say the steps are not listed; inputs that fit, and
// none, list the steps.
func TestRunListChecksInputs(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "p.yaml", `version: 1
name: p
inputs:
  service: {type: string, default: api, pattern: "[a-z][a-z0-9-]*"}
  url: {type: string, required: true}
steps:
  - {id: a, op: control.noop}
`)
	bad := filepath.Join(dir, "in.yaml")
	if err := os.WriteFile(bad, []byte("servce: web\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--input", "nosuch=1"}, "inputs: nosuch: unknown input"},
		{[]string{"--input", "service=API"}, `inputs: service: "API" does not match pattern`},
		{[]string{"--inputs", bad}, `unknown input "servce" (did you mean "service"?)`},
	} {
		res := runMain(t, append([]string{"run", pb, "--list"}, c.args...)...)
		res.want(t, ExitUsage, nil, []string{c.want, "the steps are not listed: --list checks the inputs it is given as a run does"})
		if res.stdout != "" {
			t.Errorf("%v: listed the steps:\n%s", c.args, res.stdout)
		}
	}
	// A required input left out is not asked for: nothing runs.
	runMain(t, "run", pb, "--list", "--input", "service=web").want(t, ExitOK, []string{"p: 1 step"}, nil)
	runMain(t, "run", pb, "--list").want(t, ExitOK, []string{"p: 1 step"}, nil)
}
