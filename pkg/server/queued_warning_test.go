package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueuedRunOfAnEditedPlaybookSaysSo: with a shared queue, a run asked
// for after the playbook's file was edited since the replica loaded it
// is answered with the warning that it runs the text loaded then, as a
// run started by the replica itself is; the queued answer had none.
func TestQueuedRunOfAnEditedPlaybookSaysSo(t *testing.T) {
	c := startCluster(t)
	ts, _ := newQueueServer(t, c, c.NewDatabase(t), 10)
	first := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202).json(t)
	if w := first["warnings"]; w != nil {
		t.Errorf("a queued run of the playbook as loaded has warnings: %v", w)
	}
	file := filepath.Join(ts.pbDir, "hello.yaml")
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(text, "# edited\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	queued := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202).json(t)
	if queued["status"] != "queued" {
		t.Fatalf("the run is %v, not queued", queued["status"])
	}
	warnings, _ := queued["warnings"].([]any)
	if len(warnings) != 1 || !strings.Contains(warnings[0].(string), "the playbook's file "+file+" changed since it was loaded, and this run runs it as loaded") {
		t.Errorf("the queued run's answer has warnings %v, want the one that says its file changed", queued["warnings"])
	}
}
