package fileop

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// content reads a file, gunzipping a .gz.
func content(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(p, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return string(b)
}

func TestRotateRenames(t *testing.T) {
	e := newEnv(t)
	log := e.file("app.log", "gen 0\n")
	if err := os.Chmod(log, 0o640); err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	var err error
	for i := 1; i <= 4; i++ {
		out, err = e.run("file.rotate", map[string]any{"path": "app.log", "keep": 3, "compress": true})
		if err != nil {
			t.Fatalf("rotation %d: %v", i, err)
		}
		if got := content(t, log); got != "" {
			t.Fatalf("rotation %d: the new log holds %q", i, got)
		}
		if err := os.WriteFile(log, []byte(fmt.Sprintf("gen %d\n", i)), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]any{
		"rotated": true, "path": log, "bytes": int64(6),
		"files":   e.abs("app.log.1", "app.log.2.gz", "app.log.3.gz"),
		"removed": e.abs("app.log.3.gz"),
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("last rotation (-want +got):\n%s", diff)
	}
	// .1 is never compressed (delaycompress); the newest generation is .1.
	for name, want := range map[string]string{"app.log": "gen 4\n", "app.log.1": "gen 3\n", "app.log.2.gz": "gen 2\n", "app.log.3.gz": "gen 1\n"} {
		if got := content(t, filepath.Join(e.root, name)); got != want {
			t.Errorf("%s holds %q, want %q", name, got, want)
		}
	}
	if m := perm(t, log); m != 0o640 {
		t.Errorf("the new log has mode %v, want the old 0640", m)
	}
	if m := perm(t, filepath.Join(e.root, "app.log.2.gz")); m != 0o640 {
		t.Errorf("the compressed generation has mode %v, want 0640", m)
	}
	entries, _ := os.ReadDir(e.root)
	for _, en := range entries {
		if strings.Contains(en.Name(), "arsenal-tmp") {
			t.Errorf("temporary file %s left behind", en.Name())
		}
	}

	// keep shrinks: every generation beyond it goes, including stale ones.
	e.file("app.log.9", "stale")
	out, err = e.run("file.rotate", map[string]any{"path": "app.log", "keep": 1, "create": false})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e.abs("app.log.1"), out["files"]); diff != "" {
		t.Errorf("files with keep 1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(e.abs("app.log.1", "app.log.2.gz", "app.log.3.gz", "app.log.9"), out["removed"]); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(log); err == nil {
		t.Error("create: false still created a new log")
	}
}

func TestRotateSkips(t *testing.T) {
	e := newEnv(t)
	out, err := e.run("file.rotate", map[string]any{"path": "none.log", "missing_ok": true})
	if err != nil || out["rotated"] != false {
		t.Errorf("missing_ok: %v %v", out, err)
	}
	if _, err := e.run("file.rotate", map[string]any{"path": "none.log"}); err == nil || !strings.Contains(err.Error(), "missing_ok") {
		t.Errorf("a missing log: %v", err)
	}
	e.file("empty.log", "")
	out, err = e.run("file.rotate", map[string]any{"path": "empty.log", "min_size": 1})
	if err != nil || out["rotated"] != false {
		t.Errorf("min_size: %v %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(e.root, "empty.log.1")); err == nil {
		t.Error("a skipped rotation made .1")
	}
}

func TestRotateFailures(t *testing.T) {
	e := newEnv(t)
	secret := e.file(filepath.Join(e.out, "secret.log"), "s")
	if err := os.Symlink(secret, filepath.Join(e.root, "link.log")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(e.out, filepath.Join(e.root, "dir-out")); err != nil {
		t.Fatal(err)
	}
	_, err := e.run("file.rotate", map[string]any{"path": "dir-out/secret.log"})
	denied(t, "rotate through a symlinked directory", err, "dir-out/secret.log")
	_, err = e.run("file.rotate", map[string]any{"path": secret})
	denied(t, "rotate outside", err, secret)
	if _, err := e.run("file.rotate", map[string]any{"path": "link.log"}); err == nil || !strings.Contains(err.Error(), "is a symlink, not a regular file") {
		t.Errorf("rotate a symlink: %v", err)
	}
	if _, err := e.run("file.rotate", map[string]any{"path": "sub"}); err == nil || !strings.Contains(err.Error(), "is a dir") {
		t.Errorf("rotate a directory: %v", err)
	}
	if content(t, secret) != "s" {
		t.Error("the file outside changed")
	}
	// Two forms of one generation: refuse rather than overwrite either.
	e.file("a.log", "now")
	e.file("a.log.1", "one")
	e.file("a.log.2", "two")
	e.file("a.log.2.gz", "not really gzip")
	if _, err := e.run("file.rotate", map[string]any{"path": "a.log", "compress": true}); err == nil || !strings.Contains(err.Error(), "both a.log.2 and a.log.2.gz exist") {
		t.Errorf("conflicting generations: %v", err)
	}
	if content(t, filepath.Join(e.root, "a.log.1")) != "one" || content(t, filepath.Join(e.root, "a.log")) != "now" {
		t.Error("a refused rotation lost a generation")
	}
	for _, raw := range []map[string]any{{"path": "a.log", "keep": 0}, {"path": "a.log", "keep": 1001}, {"path": ""}} {
		if _, err := e.run("file.rotate", raw); ops.ClassOf(err) != ops.ClassValidation {
			t.Errorf("rotate %v: %v, want a validation error", raw, err)
		}
	}
}

// TestRotateCopyTruncateKeepsLines rotates a log in copytruncate mode
// while a writer appends numbered lines to it, as a program that keeps its
// log open does, and then counts the lines across every generation.
// Naive copytruncate (copy, then truncate to zero) loses every line written
// while the copy ran; here only a line written in the few system calls
// between the last read and the truncation can be lost, so at most one per
// rotation with a writer that pauses between lines.
func TestRotateCopyTruncateKeepsLines(t *testing.T) {
	e := newEnv(t)
	log := filepath.Join(e.root, "app.log")
	// A few megabytes already in the log, so each copy takes a while.
	var pre strings.Builder
	for i := 0; i < 100_000; i++ {
		fmt.Fprintf(&pre, "pre %08d ................\n", i)
	}
	e.file("app.log", pre.String())

	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var written atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := fmt.Fprintf(f, "line %08d\n", i); err != nil {
				t.Errorf("writer: %v", err)
				return
			}
			written.Store(int64(i + 1))
			time.Sleep(20 * time.Microsecond)
		}
	}()
	const rotations = 4
	during := int64(0)
	for r := 0; r < rotations; r++ {
		time.Sleep(20 * time.Millisecond)
		before := written.Load()
		out, err := e.run("file.rotate", map[string]any{"path": "app.log", "keep": 10, "copytruncate": true, "compress": true})
		if err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("rotation %d: %v", r, err)
		}
		during += written.Load() - before
		if out["rotated"] != true {
			t.Fatalf("rotation %d: %v", r, out)
		}
	}
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()

	seen := map[int]int{}
	pres := 0
	for _, name := range []string{"app.log.4.gz", "app.log.3.gz", "app.log.2.gz", "app.log.1", "app.log"} {
		sc := bufio.NewScanner(strings.NewReader(content(t, filepath.Join(e.root, name))))
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "pre "):
				pres++
			case strings.HasPrefix(line, "line "):
				n, err := strconv.Atoi(strings.TrimPrefix(line, "line "))
				if err != nil || len(line) != len("line 00000000") {
					t.Fatalf("%s: torn line %q", name, line)
				}
				seen[n]++
			default:
				t.Fatalf("%s: unexpected line %q (a hole or a torn write)", name, line)
			}
		}
	}
	total := int(written.Load())
	lost := 0
	for i := 0; i < total; i++ {
		switch seen[i] {
		case 0:
			lost++
		case 1:
		default:
			t.Errorf("line %d appears %d times", i, seen[i])
		}
	}
	t.Logf("%d lines written, %d while rotating, %d lost", total, during, lost)
	if pres != 100_000 {
		t.Errorf("%d of the 100000 lines written before the rotations survived", pres)
	}
	if during < rotations {
		t.Fatalf("only %d lines were written during the rotations; the test did not exercise them", during)
	}
	if lost > rotations {
		t.Errorf("%d lines lost in %d rotations; at most one per rotation may be", lost, rotations)
	}
}
