package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// member is one entry of a crafted archive.
type member struct {
	name     string
	typ      byte // tar type flag: tar.TypeReg, TypeDir, TypeSymlink, TypeLink, TypeChar
	link     string
	body     string
	zeros    int64 // a body of this many zero bytes instead
	sizeLies int64 // zip: declare this uncompressed size instead
}

func tarGz(t *testing.T, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	tw := tar.NewWriter(gz)
	for _, m := range members {
		h := &tar.Header{Name: m.name, Typeflag: m.typ, Linkname: m.link, Mode: 0o644, ModTime: time.Unix(1700000000, 0)}
		if m.typ == tar.TypeReg {
			h.Size = int64(len(m.body)) + m.zeros
		}
		if m.typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if m.typ == tar.TypeReg {
			io.WriteString(tw, m.body)
			if _, err := io.CopyN(tw, zeroReader{}, m.zeros); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gz.Close()
	return buf.Bytes()
}

func zipOf(t *testing.T, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate, Modified: time.Unix(1700000000, 0)}
		switch m.typ {
		case tar.TypeDir:
			h.SetMode(os.ModeDir | 0o755)
		case tar.TypeSymlink:
			h.SetMode(os.ModeSymlink | 0o777)
			m.body = m.link
		case tar.TypeChar:
			h.SetMode(os.ModeDevice | os.ModeCharDevice | 0o644)
		default:
			h.SetMode(0o644)
		}
		body := append([]byte(m.body), make([]byte, m.zeros)...)
		if m.sizeLies == 0 {
			w, err := zw.CreateHeader(h)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(body)
			continue
		}
		// A header that understates the size, with the real data.
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.BestCompression)
		fw.Write(body)
		fw.Close()
		h.CompressedSize64 = uint64(comp.Len())
		h.UncompressedSize64 = uint64(m.sizeLies)
		h.CRC32 = crc32.ChecksumIEEE(body)
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestExtractRefusesHostileArchives(t *testing.T) {
	ok := member{name: "fine.txt", typ: tar.TypeReg, body: "fine"}
	tests := []struct {
		name    string
		members []member
		params  map[string]any
		want    string
	}{
		{"dot-dot", []member{ok, {name: "../evil", typ: tar.TypeReg, body: "x"}}, nil, `entry "../evil" leads outside the destination through ..`},
		{"dot-dot inside", []member{ok, {name: "a/../../evil", typ: tar.TypeReg, body: "x"}}, nil, "leads outside the destination"},
		{"absolute", []member{ok, {name: "/tmp/evil", typ: tar.TypeReg, body: "x"}}, nil, "has an absolute name"},
		{"backslash", []member{ok, {name: `..\evil`, typ: tar.TypeReg, body: "x"}}, nil, "backslash"},
		{"symlink out", []member{ok, {name: "link", typ: tar.TypeSymlink, link: "../../outside"}}, nil, `symlink "link" points to "../../outside", outside the destination`},
		{"symlink out from a subdirectory", []member{ok, {name: "a/b/link", typ: tar.TypeSymlink, link: "../../../x"}}, nil, "outside the destination"},
		{"absolute symlink", []member{ok, {name: "link", typ: tar.TypeSymlink, link: "/etc/passwd"}}, nil, "points to the absolute path"},
		{"write through a symlink", []member{ok, {name: "sub/", typ: tar.TypeDir}, {name: "link", typ: tar.TypeSymlink, link: "sub"}, {name: "link/x", typ: tar.TypeReg, body: "x"}}, nil, `lies under "link", which the archive made a symlink`},
		{"duplicate", []member{ok, ok}, nil, `entry "fine.txt" appears twice`},
		{"entries", []member{ok, {name: "a", typ: tar.TypeReg}, {name: "b", typ: tar.TypeReg}}, map[string]any{"max_entries": 2}, "more than max_entries (2)"},
		{"bytes", []member{ok, {name: "big", typ: tar.TypeReg, zeros: 3 << 20}}, map[string]any{"max_bytes": 2 << 20, "max_ratio": 1_000_000}, "more than max_bytes"},
		{"bomb", []member{ok, {name: "zeros", typ: tar.TypeReg, zeros: 8 << 20}}, nil, "compression bomb"},
	}
	tarOnly := []struct {
		name    string
		members []member
		want    string
	}{
		{"hard link", []member{ok, {name: "hl", typ: tar.TypeLink, link: "fine.txt"}}, `entry "hl" is a hard link`},
		{"device", []member{ok, {name: "dev", typ: tar.TypeChar}}, `entry "dev" is a character device`},
		{"fifo", []member{ok, {name: "p", typ: tar.TypeFifo}}, "named pipe"},
	}
	zipOnly := []struct {
		name    string
		members []member
		want    string
	}{
		{"header understates the size", []member{ok, {name: "liar", typ: tar.TypeReg, zeros: 1 << 20, sizeLies: 10}}, `entry "liar": zip: not a valid zip file`},
		{"device", []member{ok, {name: "dev", typ: tar.TypeChar}}, `entry "dev" is a`},
	}
	check := func(t *testing.T, archive []byte, name string, params map[string]any, want string) {
		e := newEnv(t)
		if err := os.WriteFile(filepath.Join(e.root, name), archive, 0o644); err != nil {
			t.Fatal(err)
		}
		raw := map[string]any{"src": name, "dest": "out"}
		for k, v := range params {
			raw[k] = v
		}
		_, err := e.run("archive.extract", raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v, want it to contain %q", err, want)
		}
		if !strings.Contains(err.Error(), "nothing was written") {
			t.Errorf("error %v should say nothing was written", err)
		}
		for _, p := range []string{filepath.Join(e.root, "out"), filepath.Join(e.root, "evil"), filepath.Join(filepath.Dir(e.root), "evil")} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s exists after a refused extraction", p)
			}
		}
	}
	for _, tc := range tests {
		t.Run("tar.gz/"+tc.name, func(t *testing.T) { check(t, tarGz(t, tc.members...), "a.tar.gz", tc.params, tc.want) })
		want := tc.want
		if tc.name == "bomb" || tc.name == "bytes" {
			want = map[string]string{"bomb": "compression bomb", "bytes": "declare more than max_bytes"}[tc.name]
		}
		t.Run("zip/"+tc.name, func(t *testing.T) { check(t, zipOf(t, tc.members...), "a.zip", tc.params, want) })
	}
	for _, tc := range tarOnly {
		t.Run("tar.gz/"+tc.name, func(t *testing.T) { check(t, tarGz(t, tc.members...), "a.tar.gz", nil, tc.want) })
	}
	for _, tc := range zipOnly {
		t.Run("zip/"+tc.name, func(t *testing.T) { check(t, zipOf(t, tc.members...), "a.zip", nil, tc.want) })
	}
}

// TestExtractNeverFollowsSymlinksInDest plants symlinks in the destination
// before extracting: an entry is never written through one that leads
// outside, and overwrite replaces a symlink rather than its target.
func TestExtractNeverFollowsSymlinksInDest(t *testing.T) {
	e := newEnv(t)
	write(t, e.out, map[string]string{"target": "outside"})
	write(t, e.root, map[string]string{"out/escape": "->" + e.out, "out/config": "->" + filepath.Join(e.out, "target")})
	if err := os.WriteFile(filepath.Join(e.root, "a.tar.gz"), tarGz(t, member{name: "escape/planted", typ: tar.TypeReg, body: "x"}), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := e.run("archive.extract", map[string]any{"src": "a.tar.gz", "dest": "out"})
	if err == nil || !strings.Contains(err.Error(), "through a symlink that leads outside the destination") {
		t.Errorf("writing through a planted symlink: %v", err)
	}
	if err := os.WriteFile(filepath.Join(e.root, "b.zip"), zipOf(t, member{name: "config", typ: tar.TypeReg, body: "inside"}), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.run("archive.extract", map[string]any{"src": "b.zip", "dest": "out"}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("over a symlink without overwrite: %v", err)
	}
	if _, err := e.run("archive.extract", map[string]any{"src": "b.zip", "dest": "out", "overwrite": true}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(e.out, "target")); string(b) != "outside" {
		t.Errorf("the symlink's target outside was written: %q", b)
	}
	if fi, err := os.Lstat(filepath.Join(e.root, "out/config")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the symlink was not replaced by the file: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(e.out, "planted")); err == nil {
		t.Error("a file was planted outside the roots")
	}
}

// TestExtractStripsSpecialBits checks that setuid and setgid bits in an
// archive are not applied.
func TestExtractStripsSpecialBits(t *testing.T) {
	e := newEnv(t)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: "suid", Typeflag: tar.TypeReg, Mode: 0o4755, Size: 1})
	tw.Write([]byte("x"))
	tw.Close()
	gz.Close()
	if err := os.WriteFile(filepath.Join(e.root, "s.tgz"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.run("archive.extract", map[string]any{"src": "s.tgz", "dest": "out"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(e.root, "out/suid"))
	if err != nil || fi.Mode()&os.ModeSetuid != 0 || fi.Mode().Perm() != 0o755 {
		t.Errorf("mode %v %v, want 0755 without setuid", fi.Mode(), err)
	}
}
