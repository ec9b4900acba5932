package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestExtractKeepsTheModeOfDirectoriesAlreadyThere: an archive that
// names a directory dest already holds fills it, but without overwrite
// does not change its mode or time: a hostile archive cannot make a
// directory of dest writable by every user. With overwrite it does, as
// for files.
func TestExtractKeepsTheModeOfDirectoriesAlreadyThere(t *testing.T) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	old := time.Unix(1000000000, 0)
	for _, h := range []*tar.Header{
		{Name: "uploads/", Typeflag: tar.TypeDir, Mode: 0o777, ModTime: old},
		{Name: "uploads/new.txt", Typeflag: tar.TypeReg, Mode: 0o644, ModTime: old},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	for _, overwrite := range []bool{false, true} {
		e := newEnv(t)
		if err := os.WriteFile(filepath.Join(e.root, "a.tar.gz"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		uploads := filepath.Join(e.root, "site", "uploads")
		if err := os.MkdirAll(uploads, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(uploads, 0o750); err != nil {
			t.Fatal(err)
		}
		if _, err := e.run("archive.extract", map[string]any{"src": "a.tar.gz", "dest": "site", "overwrite": overwrite}); err != nil {
			t.Fatalf("overwrite %v: %v", overwrite, err)
		}
		fi, err := os.Stat(uploads)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o750)
		if overwrite {
			want = 0o777
		}
		if fi.Mode().Perm() != want {
			t.Errorf("overwrite %v: uploads/ has mode %o after the extraction, want %o", overwrite, fi.Mode().Perm(), want)
		}
		if !overwrite && fi.ModTime().Equal(old) {
			t.Errorf("overwrite %v: uploads/ got the archive's time", overwrite)
		}
		if _, err := os.Stat(filepath.Join(uploads, "new.txt")); err != nil {
			t.Errorf("overwrite %v: %v", overwrite, err)
		}
	}
}
