package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// callsNext is a playbook that logs, then runs next from the path at 5:47.
func callsNext(name, next string) string {
	return fmt.Sprintf("version: 1\nname: %s\nsteps:\n  - {id: sh, op: control.log, with: {message: %s}}\n  - {id: next, op: playbook.run, with: {path: %s}}\n", name, name, next)
}

// wantProblems checks that r failed validation with exactly the problems
// want (each a prefix of its line of stderr), then the summary.
func wantProblems(t *testing.T, r result, want []string, summary string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	ok := r.code == ExitUsage && len(lines) == len(want)+1 && lines[len(lines)-1] == summary
	for i := 0; ok && i < len(want); i++ {
		ok = strings.HasPrefix(lines[i], want[i])
	}
	if !ok {
		t.Errorf("exit %d, want %d; want stderr\n  %s\n  %s\ngot\n%s", r.code, ExitUsage, strings.Join(want, "…\n  "), summary, r.stderr)
	}
}

// TestValidateSubPlaybookCycles: a chain of playbook.run steps with
// literal paths that leads back into itself fails at run time when the
// step that closes it starts, after the steps before it have run; validate
// reports it there, naming the chain. A symlink is another name of the
// same file. A path given by an expression is left to the run.
func TestValidateSubPlaybookCycles(t *testing.T) {
	dir := playbookDir(t, map[string]string{
		"self.yaml": callsNext("self", "self.yaml"),
		"a.yaml":    callsNext("a", "b.yaml"),
		"b.yaml":    callsNext("b", "a.yaml"),
		"real.yaml": callsNext("real", "alias.yaml"),
		"expr.yaml": callsNext("expr", `"${{ 'expr.yaml' }}"`),
	})
	r := runEnv(t, nil, "validate", "self.yaml")
	wantProblems(t, r, []string{"self.yaml:5:47: self.yaml → self.yaml: a playbook.run cycle; it would fail at run time when this step starts, since a playbook may not run itself, directly or not; remove this step; to run steps again, give them repeat: or retry:, or foreach: over what changes"}, "1 of 1 playbook has problems (1 error)")
	r = runEnv(t, nil, "validate", "a.yaml", "b.yaml")
	wantProblems(t, r, []string{
		"b.yaml:5:47: a.yaml → b.yaml → a.yaml: a playbook.run cycle; it would fail at run time when this step starts, since a playbook may not run itself, directly or not; remove this step, or move what the playbooks of the cycle share into one that calls none of them",
		"a.yaml:5:47: b.yaml → a.yaml → b.yaml: a playbook.run cycle; ",
	}, "2 of 2 playbooks have problems (2 errors)")
	runEnv(t, nil, "validate", "expr.yaml").want(t, ExitOK, []string{"ok  expr.yaml (2 steps)"}, nil)
	if err := os.Symlink("real.yaml", filepath.Join(dir, "alias.yaml")); err != nil {
		t.Skip("cannot make a symlink:", err)
	}
	r = runEnv(t, nil, "validate", "real.yaml")
	wantProblems(t, r, []string{"real.yaml:5:47: real.yaml → alias.yaml: a playbook.run cycle (alias.yaml and real.yaml are one file); it would fail at run time"}, "1 of 1 playbook has problems (1 error)")
}

// TestValidateSubChainTooDeep: p0 → p1 → … → p10 runs the steps of p0 to
// p7, then fails "nested more than 8 deep" at p7's playbook.run; validate
// reports it at that step, and a chain of eight playbooks is fine.
func TestValidateSubChainTooDeep(t *testing.T) {
	if limits := [...]int{steps.MaxSubDepth, engine.MaxSubDepth, auth.MaxSubDepth}; limits[0] != limits[1] || limits[0] != limits[2] {
		t.Fatalf("steps.MaxSubDepth %d, engine.MaxSubDepth %d, auth.MaxSubDepth %d: validate must check the limit the run applies", steps.MaxSubDepth, engine.MaxSubDepth, auth.MaxSubDepth)
	}
	files := map[string]string{"p11.yaml": "version: 1\nname: p11\nsteps:\n  - {id: sh, op: control.log, with: {message: p11}}\n"}
	for i := range 11 {
		files[fmt.Sprintf("p%d.yaml", i)] = callsNext(fmt.Sprintf("p%d", i), fmt.Sprintf("p%d.yaml", i+1))
	}
	playbookDir(t, files)
	r := runEnv(t, nil, "validate", "p0.yaml")
	wantProblems(t, r, []string{`p7.yaml:5:47: p0.yaml → p1.yaml → p2.yaml → p3.yaml → p4.yaml → p5.yaml → p6.yaml → p7.yaml → p8.yaml: this playbook.run would nest 9 playbooks, past the 8 a run allows; the run would fail here, after running the steps before it, with "nested more than 8 deep"; call p8.yaml from a playbook higher in the chain, or merge two playbooks of the chain`}, "1 of 1 playbook has problems (1 error)")
	runEnv(t, nil, "validate", "p4.yaml").want(t, ExitOK, []string{"ok  p4.yaml (2 steps)"}, nil)
	// What validate says is what the run does.
	run := runEnv(t, nil, "run", "p0.yaml")
	if run.code == ExitOK || !strings.Contains(run.stdout+run.stderr, "nested more than 8 deep") {
		t.Errorf("run p0.yaml: exit %d, want a failure nested more than 8 deep:\n%s%s", run.code, run.stdout, run.stderr)
	}
}

// TestValidateFanOutSubOutputs: the outputs read from one item of a
// foreach playbook.run step are checked against those its sub-playbook
// declares, as for a single call: a wrong name is null at run time.
func TestValidateFanOutSubOutputs(t *testing.T) {
	playbookDir(t, map[string]string{
		"work.yaml": "version: 1\nname: work\ninputs:\n  n: {type: integer, default: 1}\nsteps:\n  - {id: s, op: control.set, with: {v: 1}}\noutputs:\n  val: \"${{ steps.s.output.v }}\"\n",
		"main.yaml": `version: 1
name: main
steps:
  - id: one
    op: playbook.run
    with: {path: work.yaml}
  - id: fan
    op: playbook.run
    foreach: "${{ [1, 2, 3] }}"
    with: {path: work.yaml, inputs: {n: "${{ item }}"}}
  - id: a
    op: control.log
    with: {message: "${{ steps.one.output.outputs.vl }} ${{ steps.fan.output[0].outputs.vall }}"}
  - id: b
    op: control.log
    with: {message: "${{ toJSON(map(steps.fan.output, .outputs.vaal)) }}"}
  - id: c
    op: control.log
    with: {message: "${{ steps.fan.items[1].output.outputs.vale }}"}
  - id: d
    op: control.log
    when: steps.fan.output[2].outputs.vall == nil
    with: {message: "${{ steps.fan.output[0].outputs.val }}"}
`,
	})
	r := runEnv(t, nil, "validate", "main.yaml")
	says := `step %s runs work.yaml, which has no output %q (did you mean "val"?); it declares val`
	wantProblems(t, r, []string{
		"main.yaml:13:51: " + fmt.Sprintf(says, "one", "vl"),
		"main.yaml:13:89: " + fmt.Sprintf(says, "fan", "vall"),
		"main.yaml:16:64: " + fmt.Sprintf(says, "fan", "vaal"),
		"main.yaml:19:60: " + fmt.Sprintf(says, "fan", "vale"),
		"main.yaml:22:39: " + fmt.Sprintf(says, "fan", "vall"),
	}, "1 of 1 playbook has problems (5 errors)")
}

// TestValidatePolicyAlone: `validate --policy FILE` without a playbook
// checks the policy by itself, as an admin does before a reload: ok with
// its roles, or every problem at its line and column, exit 2.
func TestValidatePolicyAlone(t *testing.T) {
	dir := t.TempDir()
	good := writePlaybook(t, dir, "good.yaml", "version: 1\nroles:\n  oncall: {max_risk: read}\n")
	runMain(t, "validate", "--policy", good).want(t, ExitOK, []string{good + ": ok, roles admin, oncall, operator, viewer\n"}, nil)
	bad := writePlaybook(t, dir, "bad.yaml", "version: 1\nroles:\n  web: {http: {deny_hosts: [\"localhost:8080\"]}}\n  a: {inherits: [a]}\n")
	runMain(t, "validate", "--policy", bad).want(t, ExitUsage, nil, []string{
		bad + `:3:29: deny_hosts: "localhost:8080" is not a host name or *.suffix; write localhost`,
		bad + ":4:3: roles inherit in a cycle: a -> a",
		"the policy " + bad + " has problems\n",
	})
	runMain(t, "validate").want(t, ExitUsage, nil, []string{"give at least one playbook, like 'validate playbooks/hello.yaml', or --policy FILE to check a policy alone"})
	// A role whose limits a program gets around loads, with a warning.
	loose := writePlaybook(t, dir, "loose.yaml", "version: 1\nroles:\n  oncall: {allow: [process.*], deny: [process.kill]}\n")
	runMain(t, "validate", "--policy", loose).want(t, ExitOK, []string{loose + ": ok, roles admin, oncall, operator, viewer\n"},
		[]string{loose + ":3:3: warning: role oncall denies process.kill (deny process.kill), yet it may run programs (process.start)"})
}
