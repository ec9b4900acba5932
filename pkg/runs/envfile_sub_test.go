package runs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestSubPlaybookEnvFilesThroughTheService: a run the service starts
// hands the engine its environment without the env files' variables, so
// that a sub-playbook's own env files override its caller's there too,
// while the request's environment still wins over both.
func TestSubPlaybookEnvFilesThroughTheService(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		".env":     "TARGET=parent-db\nOWNER=parent-file\n",
		"sub/.env": "TARGET=sub-db\nOWNER=sub-file\n",
		"sub/s.yaml": "version: 1\nname: s\nenv_file: .env\nsteps:\n  - {id: a, op: control.noop}\n" +
			"outputs:\n  env: \"${{ [env.TARGET, env.OWNER] }}\"\n",
		"p.yaml": "version: 1\nname: p\nenv_file: .env\nsteps:\n  - {id: s, op: playbook.run, with: {path: sub/s.yaml}}\n" +
			"outputs:\n  sub: \"${{ steps.s.output.outputs.env }}\"\n  target: \"${{ env.TARGET }}\"\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m := newManager(t, Config{}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: filepath.Join(dir, "p.yaml"), Env: MapEnv{"OWNER": "process"}})
	if err != nil {
		t.Fatal(err)
	}
	rep := wait(t, h)
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("%s %+v", rep.Status, rep.Error)
	}
	want := map[string]any{"sub": []any{"sub-db", "process"}, "target": "parent-db"}
	if diff := cmp.Diff(want, rep.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
}
