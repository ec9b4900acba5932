package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// storedTarGz is a tar.gz of two files whose gzip stream is not
// compressed, so a byte of a file's data can be found and changed without
// breaking the deflate stream: only the gzip checksum can tell.
func storedTarGz(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	tw := tar.NewWriter(gz)
	for _, f := range []struct{ name, body string }{{"first.txt", "first file"}, {"second.txt", "second file"}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f.body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gz.Close()
	return buf.Bytes()
}

// flip returns data with the byte at i changed.
func flip(data []byte, i int) []byte {
	out := bytes.Clone(data)
	out[i] ^= 0x20
	return out
}

// flipIn changes the first byte of the first occurrence of s in data.
func flipIn(t *testing.T, data []byte, s string) []byte {
	t.Helper()
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		t.Fatalf("%q is not in the archive", s)
	}
	return flip(data, i)
}

// extractRefused extracts data into a dest that does not exist and wants
// a refusal containing want, with nothing written.
func extractRefused(t *testing.T, data []byte, name, want string) {
	t.Helper()
	e := newEnv(t)
	if err := os.WriteFile(filepath.Join(e.root, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := e.run("archive.extract", map[string]any{"src": name, "dest": "out"})
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "refused; nothing was written") {
		t.Errorf("error %v, want a refusal with nothing written containing %q", err, want)
	}
	if _, err := os.Lstat(filepath.Join(e.root, "out")); err == nil {
		t.Error("out exists after a refused extraction")
	}
}

// TestExtractRefusesADamagedGzipStream: the tar's end-of-archive marker
// comes before the gzip trailer, which must still be read and checked.
func TestExtractRefusesADamagedGzipStream(t *testing.T) {
	good := storedTarGz(t)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"data", flipIn(t, good, "second file"), "gzip checksum does not match"},
		{"crc", flip(good, len(good)-6), "gzip checksum does not match"},
		{"length", flip(good, len(good)-2), "gzip checksum does not match"},
		{"cut short", good[:len(good)-3], "cut short"},
		{"junk after it", append(bytes.Clone(good), "not gzip at all"...), "gzip: invalid header"},
		{"a damaged stream after it", append(bytes.Clone(good), flip(good, len(good)-6)...), "gzip checksum does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { extractRefused(t, tc.data, "a.tar.gz", tc.want) })
	}
	t.Run("compressed", func(t *testing.T) {
		data := tarGz(t, member{name: "a", typ: tar.TypeReg, body: strings.Repeat("a line of text\n", 100)}, member{name: "b", typ: tar.TypeReg, body: "b"})
		extractRefused(t, flip(data, len(data)-7), "a.tar.gz", "gzip checksum does not match")
	})
}

// TestExtractBoundsWhatFollowsTheTar: the bytes after the end-of-archive
// marker are read, so they count against the caps.
func TestExtractBoundsWhatFollowsTheTar(t *testing.T) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: "a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
	tw.Write([]byte("a"))
	tw.Close()
	if _, err := gz.Write(make([]byte, 16<<20)); err != nil {
		t.Fatal(err)
	}
	gz.Close()
	extractRefused(t, buf.Bytes(), "a.tar.gz", "compression bomb")
}

// TestExtractChecksZipDataBeforeWriting: a zip entry's data is read and
// checked in the first pass, so one that is damaged or longer than its
// header says is refused before the entries ahead of it are written.
func TestExtractChecksZipDataBeforeWriting(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{{"good", "good data"}, {"bad", "bad data"}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store, Modified: time.Unix(1700000000, 0)})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("checksum", func(t *testing.T) {
		extractRefused(t, flipIn(t, buf.Bytes(), "bad data"), "a.zip", `entry "bad": zip: checksum error`)
	})
	t.Run("longer than its header says", func(t *testing.T) {
		data := zipOf(t, member{name: "fine", typ: tar.TypeReg, body: "fine"}, member{name: "liar", typ: tar.TypeReg, zeros: 1 << 20, sizeLies: 10})
		extractRefused(t, data, "a.zip", `entry "liar": zip: not a valid zip file`)
	})
}

// TestExtractRemovesTheDestItMadeOnFailure: when writing fails after the
// checks passed (here a name too long for the file system, which only the
// write finds), a dest the extraction made is removed with what it wrote;
// one that was there before stays, with what was in it.
func TestExtractRemovesTheDestItMadeOnFailure(t *testing.T) {
	data := tarGz(t,
		member{name: "a/", typ: tar.TypeDir},
		member{name: "a/first.txt", typ: tar.TypeReg, body: "first"},
		member{name: "b/c/link", typ: tar.TypeSymlink, link: "../../a/first.txt"},
		member{name: "b/" + strings.Repeat("x", 300), typ: tar.TypeReg, body: "long"},
	)
	e := newEnv(t)
	if err := os.WriteFile(filepath.Join(e.root, "a.tar.gz"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := e.run("archive.extract", map[string]any{"src": "a.tar.gz", "dest": "new/out"})
	if err == nil || !strings.Contains(err.Error(), "which it had made, was removed") {
		t.Errorf("error %v, want it to say dest was removed", err)
	}
	for _, p := range []string{"new/out", "new"} {
		if _, err := os.Lstat(filepath.Join(e.root, p)); err == nil {
			t.Errorf("%s is left after the failed extraction", p)
		}
	}

	write(t, e.root, map[string]string{"old/keep": "kept"})
	_, err = e.run("archive.extract", map[string]any{"src": "a.tar.gz", "dest": "old"})
	if err == nil || !strings.Contains(err.Error(), "failed after 3 of its entries were written") {
		t.Errorf("error %v, want it to say 3 entries were written", err)
	}
	if b, err := os.ReadFile(filepath.Join(e.root, "old/keep")); err != nil || string(b) != "kept" {
		t.Errorf("a file in the dest that was there before: %q %v", b, err)
	}
}
