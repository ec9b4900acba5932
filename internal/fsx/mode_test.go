package fsx

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOctalShowsTheModeAsLsDoes(t *testing.T) {
	for _, c := range []struct {
		mode fs.FileMode
		want string
	}{
		{0o644, "0644"},
		{fs.ModeDir | fs.ModeSetgid | 0o775, "2775"},
		{fs.ModeDir | fs.ModeSticky | 0o777, "1777"},
		{fs.ModeSetuid | 0o755, "4755"},
	} {
		if got := Octal(c.mode); got != c.want {
			t.Errorf("Octal(%v) = %s, want %s", c.mode, got, c.want)
		}
	}
}

// A refusal names a setgid directory's mode as stat shows it, 2777, not
// the 0777 of its permission bits alone.
func TestRefusalNamesTheSetgidBit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, fs.ModeSetgid|0o777); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&fs.ModeSetgid == 0 {
		t.Skip("this file system does not keep the setgid bit")
	}
	msg := PathOthersMayWrite(dir, "the state dir", "plant runs")
	if !strings.Contains(msg, "mode 2777") {
		t.Errorf("message = %q, want it to say mode 2777", msg)
	}
}
