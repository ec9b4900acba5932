package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRunForeachAsAYAMLList: a step whose foreach: is a YAML list runs
// once per value, in order, each item the value as written.
func TestRunForeachAsAYAMLList(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "loop.yaml", "version: 1\nname: loop\nsteps:\n  - id: each\n    op: control.set\n    foreach: [web-1, 2, {name: db}]\n    with: {got: \"${{ item }}\", at: \"${{ index }}\"}\n")
	rep := filepath.Join(dir, "r.json")
	if r := runMain(t, "run", pb, "--report", rep, "--log-format", "json"); r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Steps []struct {
			Items []struct {
				Item any `json:"item"`
			} `json:"items"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(data, &got); err != nil || len(got.Steps) != 1 {
		t.Fatalf("report: %v\n%s", err, data)
	}
	var items []any
	for _, it := range got.Steps[0].Items {
		items = append(items, it.Item)
	}
	if diff := cmp.Diff([]any{"web-1", 2.0, map[string]any{"name": "db"}}, items); diff != "" {
		t.Errorf("the items run (-want +got):\n%s", diff)
	}
}
