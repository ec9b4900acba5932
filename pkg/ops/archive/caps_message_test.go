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

// TestRefusedKindsSayWhatToDo: a hard link or a device in an archive is
// refused with what to do about it.
func TestRefusedKindsSayWhatToDo(t *testing.T) {
	ok := member{name: "fine.txt", typ: tar.TypeReg, body: "fine"}
	for _, c := range []struct {
		name    string
		archive func(*testing.T, ...member) []byte
		m       member
		want    string
	}{
		{"a.tar.gz", tarGz, member{name: "hl", typ: tar.TypeLink, link: "fine.txt"}, `entry "hl" is a hard link to "fine.txt"; hard links are not extracted: pack the archive again storing the file itself (GNU tar: --hard-dereference)`},
		{"a.tar.gz", tarGz, member{name: "p", typ: tar.TypeFifo}, `entry "p" is a named pipe; only files, directories and symlinks are extracted: pack the archive again without it`},
		{"a.zip", zipOf, member{name: "dev", typ: tar.TypeChar}, `only files, directories and symlinks are extracted: pack the archive again without it`},
	} {
		e := newEnv(t)
		if err := os.WriteFile(filepath.Join(e.root, c.name), c.archive(t, ok, c.m), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := e.run("archive.extract", map[string]any{"src": c.name, "dest": "out"}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want %q", c.name, c.m.name, err, c.want)
		}
	}
}
