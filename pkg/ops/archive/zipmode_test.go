package archive

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestExtractZipWithoutUnixModes: a zip made on Windows (its entries
// carry MS-DOS attributes, not Unix modes) or by a tool that leaves the
// mode out unpacks to files of mode 0644 and directories of mode 0755,
// read-only files to 0444: not to files every user of the host may write
// (0666, which the MS-DOS attributes read as) nor to files of mode 0
// nobody may read.
func TestExtractZipWithoutUnixModes(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, h := range []*zip.FileHeader{
		{Name: "docs/"},                              // FAT, no attributes
		{Name: "docs/readme.txt"},                    // FAT, no attributes
		{Name: "docs/ro.txt", ExternalAttrs: 0x01},   // FAT, read-only
		{Name: "nomode.txt", CreatorVersion: 3 << 8}, // Unix, mode left out
		{Name: "ntfs.txt", CreatorVersion: 11 << 8},  // NTFS
		{Name: "exec.sh", CreatorVersion: 3 << 8, ExternalAttrs: 0o100750 << 16},
	} {
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if !h.Mode().IsDir() && h.Name[len(h.Name)-1] != '/' {
			w.Write([]byte("x"))
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	if err := os.WriteFile(filepath.Join(e.root, "win.zip"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.run("archive.extract", map[string]any{"src": "win.zip", "dest": "out"}); err != nil {
		t.Fatal(err)
	}
	got := map[string]os.FileMode{}
	for _, n := range []string{"docs", "docs/readme.txt", "docs/ro.txt", "nomode.txt", "ntfs.txt", "exec.sh"} {
		fi, err := os.Stat(filepath.Join(e.root, "out", n))
		if err != nil {
			t.Fatal(err)
		}
		got[n] = fi.Mode().Perm()
	}
	want := map[string]os.FileMode{"docs": 0o755, "docs/readme.txt": 0o644, "docs/ro.txt": 0o444, "nomode.txt": 0o644, "ntfs.txt": 0o644, "exec.sh": 0o750}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("modes (-want +got):\n%s", diff)
	}
}
