package cli

import (
	"encoding/json"
	"path/filepath"
	"syscall"
	"testing"
)

// A run killed with SIGKILL inside a long sub-playbook still shows, in
// history, the steps of the sub-playbook that finished, named by their
// path as the report's rows name them (a fan-out item's by its label).
func TestKillNineHistoryShowsFinishedNestedSteps(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	writePlaybook(t, dir, "inner.yaml", `version: 1
name: inner
steps:
  - {id: deep, op: control.log, with: {message: deep done}}
`)
	writePlaybook(t, dir, "sub.yaml", `version: 1
name: sub
steps:
  - {id: prep, op: control.noop}
  - {id: nest, op: playbook.run, with: {path: inner.yaml}}
  - {id: note, op: control.log, with: {message: about to sleep}}
  - {id: wait, op: control.sleep, with: {duration: 10m}}
`)
	pb := writePlaybook(t, dir, "top.yaml", `version: 1
name: top
steps:
  - {id: fan, op: playbook.run, foreach: [web-1], with: {path: sub.yaml}}
`)
	p := start(t, "about to sleep", "run", pb, "--state-dir", state, "--log-format", "json")
	want := []string{"fan[web-1]/prep", "fan[web-1]/nest/deep", "fan[web-1]/nest", "fan[web-1]/note"}
	var id string
	shown := func() map[string]string {
		var runs []struct {
			ID string `json:"id"`
		}
		if json.Unmarshal([]byte(runMain(t, "history", "--state-dir", state, "--json").stdout), &runs) != nil || len(runs) != 1 {
			return nil
		}
		id = runs[0].ID
		var got struct {
			Steps []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"steps"`
		}
		json.Unmarshal([]byte(runMain(t, "history", "show", id, "--state-dir", state, "--json").stdout), &got)
		rows := map[string]string{}
		for _, s := range got.Steps {
			rows[s.ID] = s.Status
		}
		return rows
	}
	waitFor(t, "the finished nested steps in the history of the running run", func() bool {
		rows := shown()
		for _, w := range want {
			if rows[w] == "" {
				return false
			}
		}
		return true
	})
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait(t)
	rows := shown()
	for _, w := range want {
		if rows[w] != "succeeded" {
			t.Errorf("after the kill, row %s is %q, want succeeded: %v", w, rows[w], rows)
		}
	}
	if _, ok := rows["fan[web-1]/wait"]; ok {
		t.Errorf("the nested step still running has a row: %v", rows)
	}
}
