package shell

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/fileop"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestAnotherCallerCannotReachARunningStepsFiles: a shell step's
// ARSENAL_OUTPUT file and its sandbox directory (its HOME) are trusted by
// the run: the values it reads back become other steps' parameters, and
// git or ssh read their configuration from HOME. Another caller whose
// file roots hold the temporary directory (the default of a role without
// file_roots) finds neither with file.find and writes neither with
// file.write while the step runs. Before, both were fresh directories of
// the temporary directory, and an operator's file.write steered an
// admin's run: an output value naming the file a later step deleted, a
// .gitconfig the admin's git read.
func TestAnotherCallerCannotReachARunningStepsFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	marks := t.TempDir()
	ready, proceed := filepath.Join(marks, "ready"), filepath.Join(marks, "go")

	r := newRegistry(t, nil)
	if err := fileop.Register(r); err != nil {
		t.Fatal(err)
	}
	type result struct {
		out map[string]any
		err error
	}
	done := make(chan result, 1)
	go func() {
		// The admin's step: it says where its files are, waits, then
		// reads them back.
		script := fmt.Sprintf(`{ echo "$ARSENAL_OUTPUT"; pwd; } > %[1]s.tmp; mv %[1]s.tmp %[1]s
while [ ! -e %[2]s ]; do sleep 0.05; done
echo "pager=$(cat "$HOME/.gitconfig" 2>/dev/null)"`, ready, proceed)
		out, err := opstest.Execute(r, context.Background(), "shell.exec", map[string]any{"script": script, "sandbox": map[string]any{}})
		done <- result{out, err}
	}()
	var paths []string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(ready); err == nil {
			paths = strings.Fields(string(b))
			break
		}
		if time.Now().After(deadline) {
			os.WriteFile(proceed, nil, 0o600)
			t.Fatalf("the step did not start: %v", <-done)
		}
	}
	if len(paths) != 2 {
		t.Fatalf("the step wrote %q, want its output file and its directory", paths)
	}
	output, home := paths[0], paths[1]
	for _, p := range paths {
		if !strings.HasPrefix(p, tmp+string(filepath.Separator)) {
			t.Errorf("%s is not under the temporary directory %s: the test checks nothing", p, tmp)
		}
	}

	// The other caller: an operator with the default file roots.
	other := ops.WithCall(context.Background(), &ops.Call{Dir: tmp})
	for _, pattern := range []string{"**/output", "**/*"} {
		out, err := opstest.Execute(r, other, "file.find", map[string]any{"path": tmp, "pattern": pattern})
		if err != nil {
			t.Fatalf("file.find %s: %v", pattern, err)
		}
		if s := fmt.Sprint(out["paths"]); strings.Contains(s, filepath.Base(filepath.Dir(output))) || strings.Contains(s, filepath.Base(home)) {
			t.Errorf("file.find %s over the temporary directory found the step's files: %s", pattern, s)
		}
	}
	for _, tc := range []struct{ path, content string }{
		{output, "stale=/srv/important.db\n"},
		{filepath.Join(home, ".gitconfig"), "[core]\n\tpager = planted\n"},
	} {
		if _, err := opstest.Execute(r, other, "file.write", map[string]any{"path": tc.path, "content": tc.content, "append": true}); !errors.Is(err, ops.ErrDenied) {
			t.Errorf("file.write %s: %v, want it denied", tc.path, err)
		}
	}
	if _, err := opstest.Execute(r, other, "file.read", map[string]any{"path": output}); !errors.Is(err, ops.ErrDenied) {
		t.Errorf("file.read %s: %v, want it denied", output, err)
	}

	if err := os.WriteFile(proceed, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if v := res.out["values"]; fmt.Sprint(v) != "map[]" {
		t.Errorf("the step's output values: %v, want none", v)
	}
	if s := res.out["stdout"].(string); strings.TrimSpace(s) != "pager=" {
		t.Errorf("the step read %q from its HOME, want nothing planted", s)
	}
}
