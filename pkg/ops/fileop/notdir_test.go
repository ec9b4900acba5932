package fileop

import (
	"strings"
	"testing"
)

// TestWriteToADirectorySaysWhatToGive: file.write on a directory says to
// give a file's path inside it, not only that it is a directory.
func TestWriteToADirectorySaysWhatToGive(t *testing.T) {
	e := newEnv(t)
	_, err := e.run("file.write", map[string]any{"path": "sub", "content": "x"})
	want := "sub is a directory; path names the file to write, not a directory to put it in: give a file's path inside it, such as sub/"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want %q in %v", want, err)
	}
}

// TestAFileInTheWayIsNamed: a path through a file (afile/x when afile is
// a file) names afile as the file in the way; "afile/x: not a directory"
// left the reader to work out which part of the path was wrong.
func TestAFileInTheWayIsNamed(t *testing.T) {
	e := newEnv(t)
	e.file("afile", "x")
	for _, c := range []struct {
		op  string
		raw map[string]any
	}{
		{"file.read", map[string]any{"path": "afile/x"}},
		{"file.mkdir", map[string]any{"path": "afile/x"}},
		{"file.mkdir", map[string]any{"path": "afile/x/y"}},
		{"file.write", map[string]any{"path": "afile/x", "content": "c"}},
		{"file.write", map[string]any{"path": "afile/x/y", "content": "c", "create_dirs": true}},
	} {
		_, err := e.run(c.op, c.raw)
		want := "afile is a file, not a directory, so " + c.raw["path"].(string) + " cannot be"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s %v: want %q in %v", c.op, c.raw, want, err)
		}
	}
}
