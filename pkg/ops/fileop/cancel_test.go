package fileop

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cancelledOnceTemp is a context that turns cancelled once a temporary
// file of the op lies in dir, and stays so: the run is stopped between
// writing the new content and renaming it into place.
type cancelledOnceTemp struct {
	context.Context
	dir  string
	seen *bool
}

func (c cancelledOnceTemp) Err() error {
	entries, _ := os.ReadDir(c.dir)
	for _, en := range entries {
		if strings.Contains(en.Name(), ".arsenal-tmp-") {
			*c.seen = true
		}
	}
	if *c.seen {
		return context.Canceled
	}
	return c.Context.Err()
}

// TestCancelledBeforeRenameInstallsNothing: a run cancelled while the new
// content is in its temporary file leaves the old file in place and no
// temporary file behind.
func TestCancelledBeforeRenameInstallsNothing(t *testing.T) {
	for _, op := range []string{"file.write", "file.template"} {
		t.Run(op, func(t *testing.T) {
			e := newEnv(t)
			p := e.file("app.conf", "old\n")
			raw := map[string]any{"path": "app.conf", "content": "new\n"}
			if op == "file.template" {
				raw = map[string]any{"dest": "app.conf", "content": "new\n"}
			}
			e.ctx = cancelledOnceTemp{e.ctx, e.root, new(bool)}
			if _, err := e.run(op, raw); !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want cancelled", err)
			}
			if got := read(t, p); got != "old\n" {
				t.Errorf("a cancelled run installed %q", got)
			}
			entries, _ := os.ReadDir(filepath.Dir(p))
			for _, en := range entries {
				if strings.Contains(en.Name(), "arsenal-tmp") {
					t.Errorf("temporary file %s left behind", en.Name())
				}
			}
		})
	}
}

// stoppedAfterLastRead is a context that turns cancelled once the run
// has been seen going on with the whole of want in a temporary file of
// the op in dir: the run is stopped after the last byte was read, while
// the copy is synced to disk, which takes long for a large file.
type stoppedAfterLastRead struct {
	context.Context
	dir     string
	want    int64
	whole   *bool
	stopped *bool
}

func (c stoppedAfterLastRead) Err() error {
	if *c.stopped {
		return context.Canceled
	}
	entries, _ := os.ReadDir(c.dir)
	for _, en := range entries {
		if fi, err := en.Info(); err == nil && strings.Contains(en.Name(), ".arsenal-tmp-") && fi.Size() == c.want {
			if *c.whole {
				*c.stopped = true
				return context.Canceled
			}
			*c.whole = true
		}
	}
	return c.Context.Err()
}

// TestCopyStoppedAfterTheLastReadInstallsNothing: file.copy (and a move
// across file systems, which copies), stopped once it had read the whole
// source (while it synced the copy), installed the copy all the same, as
// file.template did: the file the operator stopped the run to keep was
// replaced.
func TestCopyStoppedAfterTheLastReadInstallsNothing(t *testing.T) {
	e := newEnv(t)
	e.file("new.conf", "new content\n")
	p := e.file("app.conf", "old\n")
	e.ctx = stoppedAfterLastRead{e.ctx, e.root, int64(len("new content\n")), new(bool), new(bool)}
	_, err := e.run("file.copy", map[string]any{"src": "new.conf", "dest": "app.conf", "overwrite": true})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want cancelled", err)
	}
	if got := read(t, p); got != "old\n" {
		t.Errorf("a stopped run installed %q", got)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	for _, en := range entries {
		if strings.Contains(en.Name(), "arsenal-tmp") {
			t.Errorf("temporary file %s left behind", en.Name())
		}
	}
}
