package archive

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCapErrorsNameTheEntryAndTheRemedy: an archive over a cap is refused
// with an error that names the cap's param, the entry that crossed it
// where one did, and what to do when the archive is trusted.
func TestCapErrorsNameTheEntryAndTheRemedy(t *testing.T) {
	ok := member{name: "fine.txt", typ: tar.TypeReg, body: "fine"}
	for _, c := range []struct {
		name    string
		archive func(*testing.T, ...member) []byte
		members []member
		params  map[string]any
		want    string
	}{
		{"a.tar.gz", tarGz, []member{ok, {name: "a", typ: tar.TypeReg}, {name: "b", typ: tar.TypeReg}}, map[string]any{"max_entries": 2},
			`more than max_entries (2) entries, from entry "b" on; if you trust the archive, raise max_entries`},
		{"a.zip", zipOf, []member{ok, {name: "a", typ: tar.TypeReg}, {name: "b", typ: tar.TypeReg}}, map[string]any{"max_entries": 2},
			`more than max_entries (2); if you trust the archive, raise max_entries`},
		{"a.tar.gz", tarGz, []member{ok, {name: "huge.img", typ: tar.TypeReg, zeros: 3 << 20}}, map[string]any{"max_bytes": 2 << 20, "max_ratio": 1_000_000},
			`entry "huge.img" (3145728 bytes) brings its files to more than max_bytes (2097152); if you trust the archive, raise max_bytes`},
		{"a.zip", zipOf, []member{ok, {name: "huge.img", typ: tar.TypeReg, zeros: 3 << 20}}, map[string]any{"max_bytes": 2 << 20, "max_ratio": 1_000_000},
			`more than max_bytes (2097152) unpacked, from entry "huge.img" on; if you trust the archive, raise max_bytes`},
		{"a.tar.gz", tarGz, []member{ok, {name: "zeros", typ: tar.TypeReg, zeros: 8 << 20}}, nil,
			`entry "zeros": it expands to more than 200 times its size`},
		{"a.tar.gz", tarGz, []member{ok, {name: "zeros", typ: tar.TypeReg, zeros: 8 << 20}}, nil, `if you trust the archive, raise max_ratio`},
		{"a.zip", zipOf, []member{ok, {name: "zeros", typ: tar.TypeReg, zeros: 8 << 20}}, nil, `a compression bomb?; if you trust the archive, raise max_ratio`},
	} {
		e := newEnv(t)
		if err := os.WriteFile(filepath.Join(e.root, c.name), c.archive(t, c.members...), 0o644); err != nil {
			t.Fatal(err)
		}
		raw := map[string]any{"src": c.name, "dest": "out"}
		for k, v := range c.params {
			raw[k] = v
		}
		if _, err := e.run("archive.extract", raw); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: %v, want %q", c.name, c.params, err, c.want)
		}
	}
}
