package archive

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExtractRefusesAnEntryUnderAFileOfDest: an entry that would go under
// a file dest already holds (conf/app.yml where conf is a file) is
// refused in the first pass, overwrite or not, so nothing of the archive
// is written; and an entry that would replace a directory says what to
// do.
func TestExtractRefusesAnEntryUnderAFileOfDest(t *testing.T) {
	for _, c := range []struct {
		members []member
		want    string
	}{
		{[]member{{name: "a.txt", typ: tar.TypeReg, body: "a"}, {name: "conf/app.yml", typ: tar.TypeReg, body: "x"}},
			`entry "conf/app.yml" would go under conf, which is a file in the destination; remove it, or extract into another dest`},
		{[]member{{name: "a.txt", typ: tar.TypeReg, body: "a"}, {name: "logs", typ: tar.TypeReg, body: "x"}},
			`entry "logs" would replace a directory of the destination, which overwrite never does; remove it, or extract into another dest`},
	} {
		for _, overwrite := range []bool{false, true} {
			e := newEnv(t)
			write(t, e.root, map[string]string{"out/conf": "mine", "out/logs/": ""})
			if err := os.WriteFile(filepath.Join(e.root, "a.tar.gz"), tarGz(t, c.members...), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := e.run("archive.extract", map[string]any{"src": "a.tar.gz", "dest": "out", "overwrite": overwrite})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("overwrite %v: %v, want %q and nothing written", overwrite, err, c.want)
			}
			if _, err := os.Lstat(filepath.Join(e.root, "out", "a.txt")); err == nil {
				t.Errorf("overwrite %v: a.txt was written", overwrite)
			}
		}
	}
}
