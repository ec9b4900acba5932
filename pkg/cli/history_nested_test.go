package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestHistoryShowListsFailedNestedSteps: a run whose sub-playbook's
// sub-playbook's step failed, three levels down, and whose fan-out of a
// sub-playbook failed in item 1: 'history show' names each nested step
// that failed by its path from the run's step, with its own error, taken
// from the run's report; the sub-playbook that succeeded adds no rows,
// and nothing from the nested stderr reaches the terminal uncleaned.
func TestHistoryShowListsFailedNestedSteps(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	writePlaybook(t, dir, "fine.yaml", "version: 1\nname: fine\nsteps:\n  - {id: ok, op: shell.exec, with: {command: ['true']}}\n")
	writePlaybook(t, dir, "item.yaml", `version: 1
name: item
inputs:
  n: {type: integer}
steps:
  - id: check
    op: shell.exec
    with:
      command: [sh, -c, 'if [ "$1" = 1 ]; then echo "item one is broken" >&2; exit 3; fi', sh, "${{ string(inputs.n) }}"]
`)
	writePlaybook(t, dir, "l1.yaml", "version: 1\nname: l1\nsteps:\n  - {id: before, op: shell.exec, with: {command: ['true']}}\n  - {id: l2, op: playbook.run, with: {path: l2.yaml}}\n")
	writePlaybook(t, dir, "l2.yaml", "version: 1\nname: l2\nsteps:\n  - {id: l3, op: playbook.run, with: {path: l3.yaml}}\n")
	writePlaybook(t, dir, "l3.yaml", `version: 1
name: l3
steps:
  - {id: prep, op: shell.exec, with: {command: ['true']}}
  - id: check
    op: shell.exec
    with:
      command: [sh, -c, 'printf "disk full on db-3\033]0;pwned\007\n" >&2; exit 7']
  - {id: cleanup, op: shell.exec, with: {command: ['true']}}
`)
	pb := writePlaybook(t, dir, "top.yaml", `version: 1
name: top
steps:
  - {id: fine, op: playbook.run, with: {path: fine.yaml}}
  - id: fan
    op: playbook.run
    foreach: '[0, 1, 2]'
    fail_fast: false
    continue_on_error: true
    with: {path: item.yaml, inputs: {n: '${{ item }}'}}
  - {id: l1, op: playbook.run, with: {path: l1.yaml}}
`)
	runMain(t, "run", pb, "--state-dir", state).want(t, ExitFailed, nil, nil)
	id := onlyRunID(t, state)

	show := runMain(t, "history", "show", id, "--state-dir", state)
	show.want(t, ExitOK, []string{"steps of sub-playbooks that did not succeed (from the report):\n"}, nil)
	rows := map[string]string{}
	for _, l := range strings.Split(show.stdout, "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.Contains(f[0], "/") {
			rows[f[0]] = strings.Join(f, " ")
		}
	}
	for path, want := range map[string]string{
		"fan[1]/check":   "shell.exec ✗ failed 1 ",
		"l1/l2/l3/check": "shell.exec ✗ failed 1 ",
	} {
		if !strings.HasPrefix(rows[path], path+" "+want) {
			t.Errorf("row of %s: %q, want it to start %q\n%s", path, rows[path], want, show.stdout)
		}
	}
	if len(rows) != 2 {
		t.Errorf("%d nested rows, want 2 (none of l1/l2, l1/l2/l3, fine, prep, cleanup, before, fan[0], fan[2]):\n%s", len(rows), show.stdout)
	}
	if !strings.HasSuffix(rows["l1/l2/l3/check"], "execution: exit code 7 is not in ok_codes [0]; stderr ends with: disk full on db-3") {
		t.Errorf("the deepest step's row lacks its own error: %q\n%s", rows["l1/l2/l3/check"], show.stdout)
	}
	if !strings.HasSuffix(rows["fan[1]/check"], "stderr ends with: item one is broken (ignored: continue_on_error)") &&
		!strings.HasSuffix(rows["fan[1]/check"], "stderr ends with: item one is broken") {
		t.Errorf("fan[1]/check's row lacks its error: %q", rows["fan[1]/check"])
	}
	if strings.ContainsAny(show.stdout, "\x1b\x07") || strings.Contains(show.stdout, "pwned") {
		t.Errorf("a nested error reaches the terminal with its control sequences:\n%q", show.stdout)
	}

	// --json stays one JSON object: the nested steps are in the report.
	js := runMain(t, "history", "show", id, "--state-dir", state, "--json")
	var v map[string]any
	if err := json.Unmarshal([]byte(js.stdout), &v); err != nil {
		t.Errorf("history show --json: %v\n%s", err, js.stdout)
	}
}
