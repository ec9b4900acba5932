package fileop

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestMoveFollowsNoInnerSwapIntoTheStateDir swaps a parent directory of
// dest, then of src, for a symlink to the state dir beside it, inside the
// same root, after file.move has checked both paths: os.Root follows such
// a link, so the move must be refused where the directory really is,
// between two roots and within one.
func TestMoveFollowsNoInnerSwapIntoTheStateDir(t *testing.T) {
	for _, tc := range []struct {
		name    string
		between bool // src in another root than the state dir
		fromKey bool // move the key out rather than over it
	}{
		{name: "into, between roots", between: true},
		{name: "into, same root"},
		{name: "out of, between roots", between: true, fromKey: true},
		{name: "out of, same root", fromKey: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			other := t.TempDir()
			e.ctx = ops.WithCall(context.Background(), &ops.Call{Dir: e.root, Scope: scope{[]string{e.root, other}}})
			home, elsewhere := other, e.root
			if !tc.between {
				elsewhere = other
			}
			for _, d := range []string{"st", "d"} {
				if err := os.Mkdir(filepath.Join(home, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			key := e.file(filepath.Join(home, "st", "report.key"), "secret-report-key")
			fsroot.Protect(filepath.Join(home, "st"), "state dir")
			mine := e.file(filepath.Join(elsewhere, "f"), "mine")
			// What src names when it is checked, before the swap.
			e.file(filepath.Join(home, "d", "report.key"), "decoy")
			hookMove(t, func() { swapForSymlink(t, filepath.Join(home, "d"), "st") })
			via := filepath.Join(home, "d", "report.key")
			src, dest := mine, via
			if tc.fromKey {
				src, dest = via, filepath.Join(elsewhere, "g")
			}
			_, err := e.run("file.move", map[string]any{"src": src, "dest": dest, "overwrite": true})
			if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization || !strings.Contains(err.Error(), "state dir") {
				t.Errorf("move through d -> st: %v (class %s), want a denial naming the state dir", err, ops.ClassOf(err))
			}
			if read(t, key) != "secret-report-key" {
				t.Error("the key was replaced or moved")
			}
			if read(t, mine) != "mine" {
				t.Error("the source was moved")
			}
			if _, err := os.Lstat(filepath.Join(elsewhere, "g")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the key was moved out: %v", err)
			}
		})
	}
}
