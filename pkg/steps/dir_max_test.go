package steps

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestDirPlaybooksMaxStopsAtTheBound: a directory with more playbooks than
// the bound is refused once the bound is passed (serve's 1,000), rather
// than after every file of it was read; at the bound, all are listed.
func TestDirPlaybooksMaxStopsAtTheBound(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.yaml", "b.yaml", "c.yml", "d.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("version: 1\nname: "+name[:1]+"\nsteps: []\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := DirPlaybooksMax(dir, 2)
	var tm *TooManyError
	if !errors.As(err, &tm) || tm.Max != 2 || err.Error() != "more than 2 playbooks; keep at most 2 in one directory (split them between directories)" {
		t.Fatalf("bound 2: %v", err)
	}
	files, _, err := DirPlaybooksMax(dir, 4)
	if err != nil || len(files) != 4 {
		t.Fatalf("bound 4: %v, %v", files, err)
	}
}
