package cli

import (
	"path/filepath"
	"testing"
)

// TestRunShowsASupervisedProcessRestart: under run, a process that
// process.start keeps in a supervisor group and that dies is restarted,
// and the run's log says so, from the step that started it. Before, the
// supervisor of run had no logger: the restarts went unseen.
func TestRunShowsASupervisedProcessRestart(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "flaky.yaml", `version: 1
name: flaky
steps:
  - id: start
    op: process.start
    with:
      command: [/bin/sh, -c, "exit 3"]
      supervisor: flaky
      restart: on-failure
  - id: wait
    op: control.sleep
    with:
      duration: 2s
`)
	r := runMain(t, "run", "--state-dir", filepath.Join(dir, "state"), pb)
	r.want(t, ExitOK, nil, []string{"start | supervisor flaky: pid ", "exited with code 3; restarting it in 500ms (restart 1)", "restarted as pid "})
}
