//go:build unix

package runs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestAStepCannotCancelAnotherRunThroughTheLockFiles: without a state
// dir, concurrency groups live in lock files under the temporary
// directory, a file root of every role that sets none. A step's file.find
// does not list them and its file.write of a cancel request is denied,
// so the run holding the group goes on. Before, the lock directory lay in
// the temporary directory where any file operation reached, and the
// write stopped the other run.
func TestAStepCannotCancelAnotherRunThroughTheLockFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	m := newManager(t, Config{}, Limits{})
	holder, err := m.Start(context.Background(), Request{Path: writePlaybook(t, fmt.Sprintf(grouped, "queue")), InputText: map[string]string{"nap": "3s"}})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, holder)
	sum := sha256.Sum256([]byte("deploy-api"))
	cancelFile := filepath.Join(defaultLockDir(), hex.EncodeToString(sum[:16]), "cancel-"+holder.ID())
	if !strings.HasPrefix(cancelFile, tmp) {
		t.Fatalf("the lock files %s are not in the temporary directory %s: the test checks nothing", cancelFile, tmp)
	}
	meddler, err := m.Start(context.Background(), Request{Path: writePlaybook(t, fmt.Sprintf(`version: 1
name: meddler
steps:
  - {id: look, op: file.find, with: {path: %q, pattern: "**/lock"}}
  - {id: stop, op: file.write, with: {path: %q, content: someone}}
`, tmp, cancelFile))})
	if err != nil {
		t.Fatal(err)
	}
	r := wait(t, meddler)
	if r.Status != report.StatusFailed || r.Steps[1].Status != report.StatusDenied {
		t.Errorf("the write of a cancel request: %s, steps %+v; want it denied", r.Status, r.Steps)
	}
	if found := fmt.Sprint(r.Steps[0].Output); strings.Contains(found, "/lock") {
		t.Errorf("file.find listed the lock files: %s", found)
	}
	if rh := wait(t, holder); rh.Status != report.StatusSucceeded {
		t.Errorf("the run holding the group: %s %+v, want it to go on", rh.Status, rh.Error)
	}
}
