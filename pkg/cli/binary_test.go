package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The tests that run arsenal-run as a process use one binary, built as
// the test binary starts, before any test runs: built lazily by the first
// such test, minutes into the run, it took in whatever was edited since
// the test binary was compiled, and the tests ran two versions of the
// code, in process and as a process. The binary is kept in the temporary
// directory under the hash of the sources it is built from
// (binaryBuildKey), and a later run of the same sources takes it as it
// is, without building.

// bin is the build startBinaryBuild started: done is closed when path is
// the binary, or err says why there is none.
// unkept is a build this run used but kept for none, removed at its end.
var bin = struct {
	done   chan struct{}
	path   string
	err    error
	unkept string
}{done: make(chan struct{})}

// binaryPrefix starts the names of the directories that keep the built
// binaries, each under its sources' key.
const binaryPrefix = "arsenal-run-bin-"

// binaryKeep is how long a built binary no run has started with is kept:
// longer than a run of the tests lasts, so that none is taken from a run
// of other sources in the same temporary directory.
const binaryKeep = 2 * time.Hour

// startBinaryBuild starts building the binary, unless one of the same
// sources is kept, in the background, so that tests that do not need it
// do not wait; it returns what stops the build if it still runs when the
// tests end.
func startBinaryBuild() (stop func()) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		bin.err = err
		close(bin.done)
		return func() {}
	}
	key, err := binaryBuildKey(root)
	if err != nil {
		bin.err = err
		close(bin.done)
		return func() {}
	}
	dir := filepath.Join(os.TempDir(), binaryPrefix+key)
	bin.path = filepath.Join(dir, "arsenal-run")
	removeStaleBinaries(dir)
	if _, err := os.Stat(bin.path); err == nil {
		now := time.Now()
		os.Chtimes(dir, now, now) // in use: not stale
		close(bin.done)
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(bin.done)
		bin.err = buildBinary(ctx, root, key, dir)
	}()
	return func() {
		cancel()
		<-bin.done
		if bin.unkept != "" {
			os.RemoveAll(bin.unkept)
		}
	}
}

// buildBinary builds cmd/arsenal-run into a directory of its own and
// renames that to dir, once the sources are still those of key: a build
// that read a file edited meanwhile is used by this run, which started
// it, but kept for none.
func buildBinary(ctx context.Context, root, key, dir string) error {
	tmp, err := os.MkdirTemp(os.TempDir(), binaryPrefix+"build-")
	if err != nil {
		return err
	}
	path := filepath.Join(tmp, "arsenal-run")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", path, "./cmd/arsenal-run")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("%w\n%s", err, out)
	}
	if after, err := binaryBuildKey(root); err != nil || after != key {
		bin.path, bin.unkept = path, tmp
		return nil
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another run of the same sources kept its build first.
		os.RemoveAll(tmp)
	}
	return nil
}

// binaryBuildKey hashes what the binary is built from: the Go version,
// the environment go build reads, and every file of cmd, pkg and internal
// but tests and test data (embedded assets included), with go.mod and
// go.sum.
func binaryBuildKey(root string) (string, error) {
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, v := range []string{"GOFLAGS", "CGO_ENABLED", "GOEXPERIMENT", "GOAMD64", "CC", "GOTOOLCHAIN"} {
		fmt.Fprintf(h, "%s=%s\n", v, os.Getenv(v))
	}
	add := func(path string) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		rel, _ := filepath.Rel(root, path)
		fmt.Fprintf(h, "\x00%s\x00", rel)
		_, err = io.Copy(h, f)
		return err
	}
	for _, name := range []string{"go.mod", "go.sum"} {
		if err := add(filepath.Join(root, name)); err != nil {
			return "", err
		}
	}
	for _, top := range []string{"cmd", "pkg", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && d.Name() == "testdata":
				return filepath.SkipDir
			case !d.Type().IsRegular() || strings.HasSuffix(d.Name(), "_test.go"):
				return nil
			}
			return add(path)
		})
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}

// removeStaleBinaries removes the kept binaries but keep that no run has
// started with for binaryKeep, and builds left by a run that was killed.
func removeStaleBinaries(keep string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), binaryPrefix+"*"))
	for _, d := range dirs {
		if fi, err := os.Stat(d); d != keep && err == nil && time.Since(fi.ModTime()) > binaryKeep {
			os.RemoveAll(d)
		}
	}
}

// TestBinaryBuildKey: the key of the kept binary changes with a source
// file or an embedded asset, so that an edit is never run from an older
// build, and not with a test file or test data, which are not built in.
func TestBinaryBuildKey(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/m\n", "go.sum": "",
		"cmd/arsenal-run/main.go": "package main\n", "pkg/a/a.go": "package a\n", "pkg/a/page.html": "<p>", "internal/b/b.go": "package b\n",
		"pkg/a/a_test.go": "package a\n", "pkg/a/testdata/in.yaml": "x: 1\n",
	}
	write := func(name, data string) {
		t.Helper()
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		write(name, data)
	}
	key := func() string {
		t.Helper()
		k, err := binaryBuildKey(root)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	first := key()
	for _, name := range []string{"pkg/a/a_test.go", "pkg/a/testdata/in.yaml"} {
		write(name, files[name]+"// edited\n")
		if key() != first {
			t.Errorf("editing %s, not built in, changed the key", name)
		}
	}
	for _, name := range []string{"pkg/a/a.go", "pkg/a/page.html", "internal/b/b.go", "go.sum"} {
		before := key()
		write(name, files[name]+"// edited\n")
		if key() == before {
			t.Errorf("editing %s left the key as it was: an older build would run", name)
		}
	}
}
