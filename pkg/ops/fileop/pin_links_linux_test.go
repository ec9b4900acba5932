package fileop

import (
	"os"
	"path/filepath"
	"testing"
)

// TestChmodFollowsALinkFromWhereItIs: file.chmod follows a symlink at
// the path's last name from the directory the link really is in, as the
// kernel does, not from the name the path gave that directory. A
// release's config linked to ../../../shared (a deploy's current ->
// releases/v2) was refused as leaving the root, and a link to ../x
// changed the x beside the path's first directory, not the one beside
// the link.
func TestChmodFollowsALinkFromWhereItIs(t *testing.T) {
	e := newEnv(t)
	for _, d := range []string{"releases/v2/config", "shared/config"} {
		if err := os.MkdirAll(filepath.Join(e.root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	shared := e.file("shared/config/db.yml", "db")
	beside := e.file("releases/x", "the link's")
	top := e.file("x", "another")
	for link, to := range map[string]string{
		"current":                   "releases/v2",
		"releases/v2/config/db.yml": "../../../shared/config/db.yml",
		"releases/v2/config/x":      "../../x",
	} {
		if err := os.Symlink(to, filepath.Join(e.root, link)); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]string{"current/config/db.yml": shared, "current/config/x": beside} {
		out, err := e.run("file.chmod", map[string]any{"path": path, "mode": "0604"})
		if err != nil || out["changed"] != true {
			t.Errorf("chmod %s: %v %v", path, out, err)
		}
		if fi, err := os.Stat(want); err != nil || fi.Mode().Perm() != 0o604 {
			t.Errorf("chmod %s: %s is %v (%v), want 0604", path, want, fi.Mode(), err)
		}
	}
	if fi, err := os.Stat(top); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("chmod current/config/x changed %s: %v (%v)", top, fi.Mode(), err)
	}
}
