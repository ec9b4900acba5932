package fileop

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// denied fails the test unless err is an authorization denial that names
// path and file_roots.
func denied(t *testing.T, what string, err error, path string) {
	t.Helper()
	if !errors.Is(err, ops.ErrDenied) || ops.ClassOf(err) != ops.ClassAuthorization {
		t.Errorf("%s: %v (class %s), want an authorization denial", what, err, ops.ClassOf(err))
		return
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "file_roots") {
		t.Errorf("%s: %q should name the path and file_roots", what, err)
	}
}

func perm(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMkdir(t *testing.T) {
	e := newEnv(t)
	out, err := e.run("file.mkdir", map[string]any{"path": "a/b/c", "mode": "0700"})
	if err != nil {
		t.Fatal(err)
	}
	leaf := filepath.Join(e.root, "a/b/c")
	if diff := cmp.Diff(map[string]any{"path": leaf, "changed": true}, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if m := perm(t, leaf); m != 0o700 {
		t.Errorf("mode %v, want 0700 whatever the umask", m)
	}
	out, err = e.run("file.mkdir", map[string]any{"path": "a/b/c"})
	if err != nil || out["changed"] != false {
		t.Errorf("an existing directory: %v %v, want changed: false", out, err)
	}
	e.file("plain", "x")
	if _, err := e.run("file.mkdir", map[string]any{"path": "plain"}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("over a file: %v", err)
	}
	if _, err := e.run("file.mkdir", map[string]any{"path": "x", "mode": "rwx"}); ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), "octal") {
		t.Errorf("bad mode: %v", err)
	}
	if err := os.Symlink(e.out, filepath.Join(e.root, "dir-out")); err != nil {
		t.Fatal(err)
	}
	_, err = e.run("file.mkdir", map[string]any{"path": "dir-out/new"})
	denied(t, "mkdir through a symlink", err, "dir-out/new")
	_, err = e.run("file.mkdir", map[string]any{"path": filepath.Join(e.out, "new2")})
	denied(t, "mkdir outside", err, "new2")
	for _, n := range []string{"new", "new2"} {
		if _, err := os.Stat(filepath.Join(e.out, n)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was created outside the roots", n)
		}
	}
}

// TestMkdirSpecialModes makes directories with setgid and sticky modes:
// the leaf gets the mode whole, the parents created on the way only its
// permission bits.
func TestMkdirSpecialModes(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path, mode string
		want       fs.FileMode
	}{
		{"shared", "2775", fs.ModeSetgid | 0o775},
		{"drop", "1777", fs.ModeSticky | 0o777},
		{"parent/leaf", "3770", fs.ModeSetgid | fs.ModeSticky | 0o770},
	} {
		if _, err := e.run("file.mkdir", map[string]any{"path": tc.path, "mode": tc.mode}); err != nil {
			t.Errorf("mkdir %s mode %s: %v", tc.path, tc.mode, err)
			continue
		}
		fi, err := os.Stat(filepath.Join(e.root, tc.path))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode() &^ fs.ModeDir; got != tc.want {
			t.Errorf("mkdir %s mode %s: %v, want %v", tc.path, tc.mode, got, tc.want)
		}
	}
	if fi, err := os.Stat(filepath.Join(e.root, "parent")); err != nil || fi.Mode()&(fs.ModeSetgid|fs.ModeSticky) != 0 {
		t.Errorf("the parent made on the way: %v %v, want no setgid or sticky bit", fi, err)
	}
}

func TestChmod(t *testing.T) {
	e := newEnv(t)
	p := e.file("key", "k")
	out, err := e.run("file.chmod", map[string]any{"path": "key", "mode": "0600"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"path": p, "mode": "0600", "changed": true}, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if m := perm(t, p); m != 0o600 {
		t.Errorf("mode %v", m)
	}
	out, err = e.run("file.chmod", map[string]any{"path": "key", "mode": "600"})
	if err != nil || out["changed"] != false {
		t.Errorf("the same mode again: %v %v", out, err)
	}
	out, err = e.run("file.chmod", map[string]any{"path": "sub", "mode": "1777"})
	if err != nil || out["mode"] != "1777" {
		t.Errorf("sticky directory: %v %v", out, err)
	}
	if fi, _ := os.Stat(filepath.Join(e.root, "sub")); fi.Mode()&fs.ModeSticky == 0 {
		t.Errorf("sticky bit not set: %v", fi.Mode())
	}
	if _, err := e.run("file.chmod", map[string]any{"path": "missing", "mode": "0600"}); ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file: %v", err)
	}
	for _, m := range []string{"9999", "17777", "u+x"} {
		if _, err := e.run("file.chmod", map[string]any{"path": "key", "mode": m}); ops.ClassOf(err) != ops.ClassValidation {
			t.Errorf("mode %q: %v, want a validation error", m, err)
		}
	}
	if _, err := e.run("file.chmod", map[string]any{"path": "key"}); ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), "mode: is required") {
		t.Errorf("no mode: %v", err)
	}
	secret := e.file(filepath.Join(e.out, "secret"), "s")
	if err := os.Symlink(secret, filepath.Join(e.root, "link-out")); err != nil {
		t.Fatal(err)
	}
	_, err = e.run("file.chmod", map[string]any{"path": "link-out", "mode": "0777"})
	denied(t, "chmod through a symlink", err, "link-out")
	if m := perm(t, secret); m != 0o640 {
		t.Errorf("the target outside changed to %v", m)
	}
}

func TestChown(t *testing.T) {
	e := newEnv(t)
	p := e.file("owned", "x")
	uid, gid := os.Getuid(), os.Getgid()
	out, err := e.run("file.chown", map[string]any{"path": "owned", "owner": uid, "group": gid})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"path": p, "uid": uid, "gid": gid, "changed": false}, out); diff != "" {
		t.Errorf("own ids (-want +got):\n%s", diff)
	}
	tests := []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"path": "owned"}, "give owner, group or both"},
		{map[string]any{"path": "owned", "owner": "no-such-user-xyz"}, `no user "no-such-user-xyz"`},
		{map[string]any{"path": "owned", "group": "no-such-group-xyz"}, `no group "no-such-group-xyz"`},
		{map[string]any{"path": "owned", "owner": -3}, "out of range"},
		{map[string]any{"path": "owned", "owner": true}, "want a name or a numeric id"},
	}
	for _, tc := range tests {
		if _, err := e.run("file.chown", tc.raw); ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("chown %v: %v, want a validation error containing %q", tc.raw, err, tc.want)
		}
	}
	secret := e.file(filepath.Join(e.out, "secret"), "s")
	_, err = e.run("file.chown", map[string]any{"path": secret, "owner": uid})
	denied(t, "chown outside", err, secret)
	if _, err := e.run("file.chown", map[string]any{"path": "missing", "owner": uid}); ops.ClassOf(err) != ops.ClassExecution {
		t.Errorf("missing file: %v", err)
	}

	if uid != 0 {
		t.Log("not root: changing owners to another user is not tested")
		return
	}
	if err := os.Symlink(secret, filepath.Join(e.root, "link-out")); err != nil {
		t.Fatal(err)
	}
	out, err = e.run("file.chown", map[string]any{"path": "owned", "owner": "65534", "group": 65534})
	if err != nil || out["changed"] != true || out["uid"] != 65534 || out["gid"] != 65534 {
		t.Fatalf("chown to 65534: %v %v", out, err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil || st.Uid != 65534 || st.Gid != 65534 {
		t.Errorf("owner %d:%d, want 65534:65534", st.Uid, st.Gid)
	}
	out, err = e.run("file.chown", map[string]any{"path": "owned", "owner": "root"})
	if err != nil || out["uid"] != 0 || out["gid"] != 65534 {
		t.Errorf("owner by name: %v %v", out, err)
	}
	// A symlink is changed itself, never its target outside the roots.
	if _, err := e.run("file.chown", map[string]any{"path": "link-out", "owner": 65534}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(secret, &st); err != nil || st.Uid != 0 {
		t.Errorf("the link's target outside the roots changed owner to %d", st.Uid)
	}
	if err := syscall.Lstat(filepath.Join(e.root, "link-out"), &st); err != nil || st.Uid != 65534 {
		t.Errorf("the link itself has owner %d", st.Uid)
	}
}

func TestCopy(t *testing.T) {
	e := newEnv(t)
	src := e.file("app.conf", "v1")
	if err := os.Chmod(src, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := e.run("file.copy", map[string]any{"src": "app.conf", "dest": "backup/app.conf", "create_dirs": true})
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(e.root, "backup/app.conf")
	if diff := cmp.Diff(map[string]any{"src": src, "dest": dest, "bytes": int64(2)}, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if read(t, dest) != "v1" || perm(t, dest) != 0o600 {
		t.Errorf("copy: %q %v", read(t, dest), perm(t, dest))
	}
	e.file("app.conf", "v2")
	_, err = e.run("file.copy", map[string]any{"src": "app.conf", "dest": "backup/app.conf"})
	if err == nil || !strings.Contains(err.Error(), "already exists; set overwrite: true") {
		t.Errorf("copy over an existing file: %v", err)
	}
	if read(t, dest) != "v1" {
		t.Error("the existing file was replaced without overwrite")
	}
	if _, err := e.run("file.copy", map[string]any{"src": "app.conf", "dest": "backup/app.conf", "overwrite": true}); err != nil || read(t, dest) != "v2" {
		t.Errorf("overwrite: %v %q", err, read(t, dest))
	}
	// A symlink inside the roots is copied as its target's content.
	if err := os.Symlink("app.conf", filepath.Join(e.root, "current")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.run("file.copy", map[string]any{"src": "current", "dest": "snapshot"}); err != nil || read(t, filepath.Join(e.root, "snapshot")) != "v2" {
		t.Errorf("copy of a symlink: %v", err)
	}
	if _, err := e.run("file.copy", map[string]any{"src": "sub", "dest": "sub2"}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("copy of a directory: %v", err)
	}
	// A directory or a symlink at dest is never replaced, with or without
	// overwrite, and the error says what to give instead.
	if err := os.Symlink("app.conf", filepath.Join(e.root, "link")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dest, want string }{
		{"sub", "dest sub is a directory, which is never replaced; dest names the file itself, not a directory to put it in: give sub/app.conf"},
		{"link", "dest link is a symlink, which is never replaced; give the file it points to as dest, or delete the link first"},
	} {
		for _, overwrite := range []bool{false, true} {
			_, err := e.run("file.copy", map[string]any{"src": "app.conf", "dest": c.dest, "overwrite": overwrite})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("copy over %s, overwrite %v: %v, want %q", c.dest, overwrite, err, c.want)
			}
		}
	}
	if _, err := e.run("file.copy", map[string]any{"src": "app.conf", "dest": "no/such/dir/x"}); ops.ClassOf(err) != ops.ClassExecution ||
		!strings.Contains(err.Error(), "the directory of no/such/dir/x does not exist") || !strings.Contains(err.Error(), "create_dirs: true") {
		t.Errorf("copy into a missing directory: %v, want it to say the directory is missing and how to make it", err)
	}
	if _, err := e.run("file.copy", map[string]any{"src": "missing", "dest": "x"}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("copy of a missing file: %v", err)
	}
	if _, err := e.run("file.copy", map[string]any{"src": "", "dest": "a\x00b"}); ops.ClassOf(err) != ops.ClassValidation || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("bad params: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(e.root, "backup"))
	for _, en := range entries {
		if strings.Contains(en.Name(), "arsenal-tmp") {
			t.Errorf("temporary file %s left behind", en.Name())
		}
	}
}

func TestCopyAndMoveCannotLeaveTheRoots(t *testing.T) {
	e := newEnv(t)
	secret := e.file(filepath.Join(e.out, "secret"), "top secret")
	if err := os.Symlink(e.out, filepath.Join(e.root, "dir-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(e.root, "link-out")); err != nil {
		t.Fatal(err)
	}
	e.file("mine", "mine")
	for _, op := range []string{"file.copy", "file.move"} {
		tests := []struct{ src, dest, bad string }{
			{"dir-out/secret", "stolen", "dir-out/secret"},
			{secret, "stolen", secret},
			{"mine", "dir-out/planted", "dir-out/planted"},
			{"mine", "../outside/planted", "../outside/planted"},
		}
		for _, tc := range tests {
			_, err := e.run(op, map[string]any{"src": tc.src, "dest": tc.dest, "overwrite": true})
			denied(t, op+" "+tc.src+" -> "+tc.dest, err, tc.bad)
		}
	}
	_, err := e.run("file.copy", map[string]any{"src": "link-out", "dest": "stolen"})
	denied(t, "copy of a link that points outside", err, "link-out")
	for _, p := range []string{filepath.Join(e.root, "stolen"), filepath.Join(e.out, "planted")} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s exists after denied copies and moves", p)
		}
	}
	if read(t, secret) != "top secret" || read(t, filepath.Join(e.root, "mine")) != "mine" {
		t.Error("a denied copy or move changed a file")
	}
	// Moving the link itself is fine: it stays a link, inside the roots.
	if _, err := e.run("file.move", map[string]any{"src": "link-out", "dest": "link-moved"}); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(filepath.Join(e.root, "link-moved")); err != nil || target != secret {
		t.Errorf("moved link: %q %v", target, err)
	}
}

func TestMove(t *testing.T) {
	e := newEnv(t)
	src := e.file("report.txt", "r1")
	out, err := e.run("file.move", map[string]any{"src": "report.txt", "dest": "sub/report.txt"})
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(e.root, "sub/report.txt")
	if diff := cmp.Diff(map[string]any{"src": src, "dest": dest, "bytes": 0}, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) || read(t, dest) != "r1" {
		t.Errorf("after a move: source %v, dest %q", err, read(t, dest))
	}
	e.file("report.txt", "r2")
	if _, err := e.run("file.move", map[string]any{"src": "report.txt", "dest": "sub/report.txt"}); err == nil || !strings.Contains(err.Error(), "set overwrite: true") {
		t.Errorf("move over an existing file: %v", err)
	}
	if read(t, dest) != "r1" || read(t, src) != "r2" {
		t.Error("a refused move changed a file")
	}
	if _, err := e.run("file.move", map[string]any{"src": "report.txt", "dest": "sub/report.txt", "overwrite": true}); err != nil || read(t, dest) != "r2" {
		t.Errorf("move with overwrite: %v", err)
	}
	// Directories move whole.
	e.tree(map[string]string{"d/x": "x", "d/y/z": "z"}, nil)
	if _, err := e.run("file.move", map[string]any{"src": "d", "dest": "moved/d", "create_dirs": true}); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(e.root, "moved/d/y/z")) != "z" {
		t.Error("the directory's content did not move")
	}
	if _, err := e.run("file.move", map[string]any{"src": "moved/d", "dest": "sub"}); err == nil || !strings.Contains(err.Error(), "is a directory, which is never replaced") {
		t.Errorf("move a directory over another: %v", err)
	}
	if _, err := e.run("file.move", map[string]any{"src": "missing", "dest": "x"}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("move of a missing file: %v", err)
	}
}

// TestMoveBetweenRoots moves between two roots, and between file systems
// when the test machine has a tmpfs at /dev/shm on another device.
func TestMoveBetweenRoots(t *testing.T) {
	e := newEnv(t)
	other := t.TempDir()
	roots := []string{e.root, other}
	var shm string
	if a, b := dev(t, e.root), dev(t, "/dev/shm"); a != 0 && b != 0 && a != b {
		if d, err := os.MkdirTemp("/dev/shm", "arsenal-test-"); err == nil {
			shm = d
			roots = append(roots, d)
			t.Cleanup(func() { os.RemoveAll(d) })
		}
	}
	e.ctx = ops.WithCall(context.Background(), &ops.Call{Dir: e.root, Scope: scope{roots}})
	e.file("a", "between roots")
	if _, err := e.run("file.move", map[string]any{"src": "a", "dest": filepath.Join(other, "a")}); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(other, "a")) != "between roots" {
		t.Error("not moved")
	}
	e.file("b", "b")
	if _, err := e.run("file.move", map[string]any{"src": filepath.Join(other, "a"), "dest": "b"}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("move between roots over an existing file: %v", err)
	}
	if shm == "" {
		t.Log("no second file system at /dev/shm: the copy fallback is not tested")
		return
	}
	p := e.file("cross", "across file systems")
	if err := os.Chmod(p, 0o604); err != nil {
		t.Fatal(err)
	}
	out, err := e.run("file.move", map[string]any{"src": "cross", "dest": filepath.Join(shm, "cross")})
	if err != nil {
		t.Fatal(err)
	}
	if out["bytes"] != int64(19) || read(t, filepath.Join(shm, "cross")) != "across file systems" || perm(t, filepath.Join(shm, "cross")) != 0o604 {
		t.Errorf("cross-device move: %v", out)
	}
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Error("the source remains after a cross-device move")
	}
	if _, err := e.run("file.move", map[string]any{"src": "sub", "dest": filepath.Join(shm, "sub")}); err == nil || !strings.Contains(err.Error(), "another file system") {
		t.Errorf("cross-device move of a directory: %v", err)
	}
}

func dev(t *testing.T, p string) uint64 {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		return 0
	}
	return uint64(st.Dev)
}
