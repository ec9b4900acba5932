package fileop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestWriteOnlyWhenItDiffers: as file.template, file.write leaves a file
// that already holds the content and the mode alone, says whether it
// changed anything, and with check: true only says what it would change.
func TestWriteOnlyWhenItDiffers(t *testing.T) {
	e := newEnv(t)
	p := filepath.Join(e.root, "app.conf")
	write := func(raw map[string]any) map[string]any {
		t.Helper()
		raw["path"] = "app.conf"
		out, err := e.run("file.write", raw)
		if err != nil {
			t.Fatalf("%v: %v", raw, err)
		}
		return out
	}
	if out := write(map[string]any{"content": "port=80\n"}); out["changed"] != true {
		t.Errorf("first write: %v", out)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(p)

	// The same content: nothing is written.
	out := write(map[string]any{"content": "port=80\n"})
	if diff := cmp.Diff(map[string]any{"changed": false, "bytes": 8, "path": p}, out); diff != "" {
		t.Errorf("unchanged (-want +got):\n%s", diff)
	}
	if after, _ := os.Stat(p); !os.SameFile(before, after) || !after.ModTime().Equal(old) {
		t.Error("writing the same content replaced the file")
	}

	// check: true says what would change and writes nothing.
	out = write(map[string]any{"content": "port=8080\n", "check": true})
	wantDiff := "--- " + p + "\t(current)\n+++ " + p + "\t(new)\n@@ -1 +1 @@\n-port=80\n+port=8080\n"
	if diff := cmp.Diff(map[string]any{"changed": true, "diff": wantDiff, "bytes": 10, "path": p}, out); diff != "" {
		t.Errorf("check (-want +got):\n%s", diff)
	}
	out = write(map[string]any{"content": "port=80\n", "check": true})
	if out["changed"] != false || out["diff"] != "" {
		t.Errorf("check of the same content: %v", out)
	}
	if read(t, p) != "port=80\n" {
		t.Error("check: true wrote the file")
	}

	// A mode alone is a change; the same mode again is not.
	if out := write(map[string]any{"content": "port=80\n", "mode": "0600"}); out["changed"] != true || perm(t, p) != 0o600 {
		t.Errorf("mode change: %v, mode %v", out, perm(t, p))
	}
	if out := write(map[string]any{"content": "port=80\n", "mode": "0600"}); out["changed"] != false {
		t.Errorf("same mode: %v", out)
	}

	// Appending nothing changes nothing; check: true appends nothing.
	if out := write(map[string]any{"content": "", "append": true}); out["changed"] != false {
		t.Errorf("empty append: %v", out)
	}
	if out := write(map[string]any{"content": "x\n", "append": true, "check": true}); out["changed"] != true || read(t, p) != "port=80\n" {
		t.Errorf("append check: %v, file %q", out, read(t, p))
	}
	if out := write(map[string]any{"content": "x\n", "append": true}); out["changed"] != true || out["bytes"] != 2 {
		t.Errorf("append: %v", out)
	}

	// A check for a new file in missing directories creates nothing.
	out, err := e.run("file.write", map[string]any{"path": "new/dir/f", "content": "a\n", "create_dirs": true, "check": true})
	if err != nil || out["changed"] != true || out["diff"] != "--- /dev/null\n+++ "+filepath.Join(e.root, "new/dir/f")+"\t(new)\n@@ -0,0 +1 @@\n+a\n" {
		t.Errorf("check of a new file: %v %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(e.root, "new")); !os.IsNotExist(err) {
		t.Errorf("check: true created a directory: %v", err)
	}

	// Without create_dirs, the check fails as the write would: before,
	// it said changed: true with a diff from /dev/null, and the write
	// then failed.
	for _, append := range []bool{false, true} {
		raw := map[string]any{"path": "new/dir/f", "content": "a\n", "append": append}
		_, werr := e.run("file.write", raw)
		raw["check"] = true
		out, err := e.run("file.write", raw)
		if err == nil || werr == nil || err.Error() != werr.Error() || !strings.Contains(err.Error(), "the directory of new/dir/f does not exist") || !strings.HasSuffix(err.Error(), "; create it or set create_dirs: true") {
			t.Errorf("append: %v: check of a write into a missing directory: %v, %v; the write: %v", append, out, err, werr)
		}
	}

	// A symlink holding the same content is still replaced.
	e.file("target", "same\n")
	if err := os.Symlink("target", filepath.Join(e.root, "link")); err != nil {
		t.Fatal(err)
	}
	out, err = e.run("file.write", map[string]any{"path": "link", "content": "same\n"})
	if fi, _ := os.Lstat(filepath.Join(e.root, "link")); err != nil || out["changed"] != true || !fi.Mode().IsRegular() {
		t.Errorf("over a symlink: %v %v", out, err)
	}
}

func TestWriteRisk(t *testing.T) {
	r := ops.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	e, _ := r.Get("file.write")
	for _, tc := range []struct {
		params map[string]any
		want   ops.Risk
	}{
		{map[string]any{"check": true}, ops.RiskRead},
		{map[string]any{"check": true, "append": true}, ops.RiskRead},
		{map[string]any{"check": false}, ops.RiskWrite},
		{map[string]any{"check": ops.Deferred}, ops.RiskWrite},
		{map[string]any{"mode": "4755"}, ops.RiskDestructive},
		{map[string]any{}, ops.RiskWrite},
	} {
		if got := e.RiskFor(tc.params); got != tc.want {
			t.Errorf("RiskFor(%v) = %s, want %s", tc.params, got, tc.want)
		}
	}
}
