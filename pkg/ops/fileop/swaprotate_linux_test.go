package fileop

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
)

// TestRotateTouchesNothingInTheStateDir: the log's directory swapped,
// once the path is checked, for a symlink to the state dir inside the
// root, or the log itself for a hard link to the key there: file.rotate
// fails, and the state dir's files are neither truncated, renamed nor
// compressed.
func TestRotateTouchesNothingInTheStateDir(t *testing.T) {
	e := newEnv(t)
	st := filepath.Join(e.root, "state")
	if err := os.Mkdir(st, 0o700); err != nil {
		t.Fatal(err)
	}
	fsroot.Protect(st, "state dir")
	logs := filepath.Join(e.root, "logs")
	swaps := map[string]func(){
		"dir for a symlink": func() {
			if err := os.RemoveAll(logs); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("state", logs); err != nil {
				t.Fatal(err)
			}
		},
		"log for a hard link": func() {
			log := filepath.Join(logs, "app.log")
			if err := os.Remove(log); err != nil {
				t.Fatal(err)
			}
			if err := os.Link(filepath.Join(st, "app.log"), log); err != nil {
				t.Skipf("no hard link here: %v", err)
			}
		},
	}
	for how, swap := range swaps {
		for _, params := range []map[string]any{
			{"path": "logs/app.log", "copytruncate": true},
			{"path": "logs/app.log", "compress": true},
		} {
			_ = os.RemoveAll(logs)
			if err := os.Mkdir(logs, 0o755); err != nil {
				t.Fatal(err)
			}
			e.file("logs/app.log", "mine\n")
			e.file("logs/app.log.1", "mine before\n")
			e.file("state/app.log", "the state's\n")
			e.file("state/app.log.1", "the state's before\n")
			testHookLocated = func(string) { testHookLocated = nil; swap() }
			out, err := e.run("file.rotate", params)
			testHookLocated = nil
			if err == nil {
				t.Errorf("rotate %v, %s swapped in: %v, want it refused", params, how, out)
			}
			for name, want := range map[string]string{"app.log": "the state's\n", "app.log.1": "the state's before\n"} {
				if b, err := os.ReadFile(filepath.Join(st, name)); err != nil || string(b) != want {
					t.Errorf("rotate %v, %s swapped in: state/%s is now %q (%v), want %q", params, how, name, b, err, want)
				}
			}
		}
	}
}
