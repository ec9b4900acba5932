package remote

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

func sha256File(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestUploadDownloadLarge copies a 48 MiB file of random bytes up and back
// down and compares checksums: what the ops report, the file on the
// "remote" side, and the copy that came back. No temporary file is left.
func TestUploadDownloadLarge(t *testing.T) {
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	local, remote := t.TempDir(), t.TempDir()
	src := filepath.Join(local, "big.bin")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, 48<<20+123); err != nil {
		t.Fatal(err)
	}
	f.Chmod(0o640)
	f.Close()
	want := sha256File(t, src)
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: local, Scope: roots{local}})

	dest := filepath.Join(remote, "big.bin")
	out, err := execute(t, ctx, pool, "ssh.upload", map[string]any{"host": "box", "src": "big.bin", "dest": dest})
	if err != nil {
		t.Fatal(err)
	}
	if out["sha256"] != want || out["size"] != int64(48<<20+123) || out["dest"] != dest {
		t.Errorf("upload output %v; want sha256 %s", out, want)
	}
	if got := sha256File(t, dest); got != want {
		t.Errorf("the remote file has sha256 %s, want %s", got, want)
	}
	if fi, _ := os.Stat(dest); fi.Mode().Perm() != 0o640 {
		t.Errorf("remote mode %v, want the source's 0640", fi.Mode())
	}

	back := filepath.Join(local, "back.bin")
	out, err = execute(t, ctx, pool, "ssh.download", map[string]any{"host": "box", "src": dest, "dest": "back.bin"})
	if err != nil {
		t.Fatal(err)
	}
	if out["sha256"] != want || out["dest"] != back {
		t.Errorf("download output %v", out)
	}
	if got := sha256File(t, back); got != want {
		t.Errorf("the downloaded file has sha256 %s, want %s", got, want)
	}
	for _, dir := range []string{local, remote} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), "arsenal-tmp") {
				t.Errorf("temporary file %s left in %s", e.Name(), dir)
			}
		}
	}
	if s := pool.Stats(); s.Dials != 1 {
		t.Errorf("stats %+v; want both transfers on one connection", s)
	}
}

// roots is an authorization scope confining local files to a directory.
type roots []string

func (r roots) FileRoots() []string { return r }

// TestUploadAtomic replaces an existing remote file: a reader holding the
// old file keeps the old content (a new inode was renamed over it), its
// mode is kept, and content can be given directly.
func TestUploadAtomic(t *testing.T) {
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	dir := t.TempDir()
	dest := filepath.Join(dir, "app.conf")
	if err := os.WriteFile(dest, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old, err := os.Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	var before syscall.Stat_t
	syscall.Stat(dest, &before)

	out, err := execute(t, context.Background(), pool, "ssh.upload", map[string]any{"host": "box", "content": "new\n", "dest": dest})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("new\n"))
	if out["sha256"] != hex.EncodeToString(sum[:]) || out["size"] != int64(4) {
		t.Errorf("output %v", out)
	}
	// A secret of the run in content: no unsalted hash of it in the
	// output, which the report and history keep.
	secretCtx := ops.WithCall(context.Background(), &ops.Call{Secrets: []string{"4711"}})
	if out, err := execute(t, secretCtx, pool, "ssh.upload", map[string]any{"host": "box", "content": "pin=4711\n", "dest": dest + ".pin"}); err != nil || out["sha256"] != "***" {
		t.Errorf("secret content: output %v, %v", out, err)
	}
	b, _ := os.ReadFile(dest)
	oldContent, _ := io.ReadAll(old)
	var after syscall.Stat_t
	syscall.Stat(dest, &after)
	fi, _ := os.Stat(dest)
	if string(b) != "new\n" || string(oldContent) != "old\n" || after.Ino == before.Ino || fi.Mode().Perm() != 0o600 {
		t.Errorf("new %q, old reader %q, inode %d -> %d, mode %v; want a new file renamed over the old one, mode 0600 kept", b, oldContent, before.Ino, after.Ino, fi.Mode())
	}

	if _, err := execute(t, context.Background(), pool, "ssh.upload", map[string]any{"host": "box", "content": "x", "dest": dest, "mode": "0755"}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dest); fi.Mode().Perm() != 0o755 {
		t.Errorf("mode %v, want 0755 from the mode parameter", fi.Mode())
	}

	// The missing directory is named, with the host, not left at a bare
	// "no such file or directory".
	_, err = execute(t, context.Background(), pool, "ssh.upload", map[string]any{"host": "box", "content": "x", "dest": filepath.Join(dir, "missing", "f")})
	if want := "the directory " + filepath.Join(dir, "missing") + " of dest does not exist on box; create it first"; err == nil || !strings.Contains(err.Error(), want) || ops.ClassOf(err) != ops.ClassExecution {
		t.Errorf("missing directory: %v", err)
	}
	_, err = execute(t, context.Background(), pool, "ssh.download", map[string]any{"host": "box", "src": filepath.Join(dir, "nope"), "dest": filepath.Join(t.TempDir(), "x")})
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("missing remote file: %v", err)
	}
	_, err = execute(t, context.Background(), pool, "ssh.download", map[string]any{"host": "box", "src": dest, "dest": filepath.Join(t.TempDir(), "x"), "max_size": 0})
	if err == nil || !strings.Contains(err.Error(), "more than max_size 0") {
		t.Errorf("max_size: %v", err)
	}
	// Local files stay inside the caller's roots.
	ctx := ops.WithCall(context.Background(), &ops.Call{Scope: roots{t.TempDir()}})
	_, err = execute(t, ctx, pool, "ssh.upload", map[string]any{"host": "box", "src": "/etc/hostname", "dest": filepath.Join(dir, "h")})
	if ops.ClassOf(err) != ops.ClassAuthorization {
		t.Errorf("upload from outside the roots: %v", err)
	}
	_, err = execute(t, ctx, pool, "ssh.download", map[string]any{"host": "box", "src": dest, "dest": filepath.Join(dir, "copy")})
	if ops.ClassOf(err) != ops.ClassAuthorization {
		t.Errorf("download to outside the roots: %v", err)
	}
}

// bigFile writes n random bytes to a new file in dir.
func bigFile(t *testing.T, dir, name string, n int64) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.CopyN(f, rand.Reader, n); err != nil {
		t.Fatal(err)
	}
}

// tempEntries returns the upload's temporary entries in dir.
func tempEntries(dir string) []os.DirEntry {
	var out []os.DirEntry
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "arsenal-tmp") {
			out = append(out, e)
		}
	}
	return out
}

// exposed describes a file at name, or in a directory at name, that others
// can read, or returns "". An empty directory open for a moment is not.
func exposed(name string) string {
	fi, err := os.Lstat(name)
	switch {
	case err != nil:
		return ""
	case !fi.IsDir():
		if fi.Mode().Perm()&0o044 != 0 {
			return fmt.Sprintf("%s %v", name, fi.Mode())
		}
		return ""
	case fi.Mode().Perm()&0o011 == 0:
		return "" // others cannot reach what it holds
	}
	entries, _ := os.ReadDir(name)
	for _, e := range entries {
		if s := exposed(filepath.Join(name, e.Name())); s != "" {
			return s + " in " + fi.Mode().String()
		}
	}
	return ""
}

// TestUploadTempIsPrivate uploads a secret (mode 0600) and watches the
// destination directory meanwhile: the temporary copy is never readable
// by others. A cancelled upload leaves nothing behind.
func TestUploadTempIsPrivate(t *testing.T) {
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	local, remote := t.TempDir(), t.TempDir()
	bigFile(t, local, "secret", 64<<20)
	if err := os.Chmod(filepath.Join(local, "secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: local, Scope: roots{local}})
	params := map[string]any{"host": "box", "src": "secret", "dest": filepath.Join(remote, "secret")}

	// seen is the first temporary entry readable or searchable by others.
	watch := func(stop <-chan struct{}, appeared chan<- struct{}) <-chan string {
		seen := make(chan string, 1)
		go func() {
			defer close(seen)
			once := false
			for {
				for _, e := range tempEntries(remote) {
					if !once {
						once = true
						close(appeared)
					}
					if s := exposed(filepath.Join(remote, e.Name())); s != "" {
						seen <- s
						return
					}
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
		return seen
	}
	stop, appeared := make(chan struct{}), make(chan struct{})
	seen := watch(stop, appeared)
	if _, err := execute(t, ctx, pool, "ssh.upload", params); err != nil {
		t.Fatal(err)
	}
	close(stop)
	if s, ok := <-seen; ok {
		t.Errorf("the temporary copy was open to others: %s", s)
	}
	if fi, _ := os.Stat(filepath.Join(remote, "secret")); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v; want the source's 0600", fi.Mode())
	}
	if left := tempEntries(remote); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}

	// Cancelled as soon as the temporary copy appears.
	os.Remove(filepath.Join(remote, "secret"))
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop, appeared = make(chan struct{}), make(chan struct{})
	seen = watch(stop, appeared)
	go func() {
		<-appeared
		cancel()
	}()
	_, err := execute(t, cctx, pool, "ssh.upload", params)
	close(stop)
	for range seen {
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled upload: %v", err)
	}
	if left := tempEntries(remote); len(left) != 0 {
		t.Errorf("a cancelled upload left %v behind", left)
	}
	if _, err := os.Stat(filepath.Join(remote, "secret")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a cancelled upload wrote dest: %v", err)
	}
}

// TestUploadKeepsOwner replaces a file owned by another user: the new file
// has its owner and mode. A symbolic link at dest is refused, link and
// target left alone. Only root can give files away.
func TestUploadKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files owned by another user")
	}
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	dir := t.TempDir()
	dest := filepath.Join(dir, "app.conf")
	writeFile(t, dest, "old\n")
	if err := os.Chown(dest, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := execute(t, context.Background(), pool, "ssh.upload", map[string]any{"host": "box", "content": "new\n", "dest": dest}); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(dest, &st); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "new\n" || st.Uid != 65534 || st.Gid != 65534 || st.Mode&0o777 != 0o600 {
		t.Errorf("after upload: %q uid %d gid %d mode %o; want the new content, owner 65534:65534 and mode 0600 kept", b, st.Uid, st.Gid, st.Mode&0o777)
	}

	target := filepath.Join(dir, "real.conf")
	writeFile(t, target, "target\n")
	link := filepath.Join(dir, "link.conf")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	_, err := execute(t, context.Background(), pool, "ssh.upload", map[string]any{"host": "box", "content": "new\n", "dest": link})
	if err == nil || !strings.Contains(err.Error(), link+" on box is a symbolic link to "+target) || !strings.Contains(err.Error(), "set dest to the file it points to") {
		t.Errorf("upload over a symlink: %v", err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
	if b, _ := os.ReadFile(target); string(b) != "target\n" {
		t.Errorf("the link's target holds %q", b)
	}
	if left := tempEntries(dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	_, err = execute(t, context.Background(), pool, "ssh.upload", map[string]any{"host": "box", "content": "x", "dest": "~/x"})
	if err == nil || !strings.Contains(err.Error(), `~ is not expanded over SFTP; relative paths start at the login directory, so write "x"`) {
		t.Errorf("dest ~/x: %v", err)
	}
}

// TestDownloadKeepsMode: ssh.download gives the local file it replaces
// that file's mode, not the remote file's (a private 0600 file stays
// private), as ssh.upload does; mode: wins, and a new file takes the
// source's. A symbolic link at dest is replaced, not written through:
// its target inside the roots lends its mode, one outside them does not.
func TestDownloadKeepsMode(t *testing.T) {
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	local, remote, outside := t.TempDir(), t.TempDir(), t.TempDir()
	src := filepath.Join(remote, "app.conf")
	if err := os.WriteFile(src, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := ops.WithCall(context.Background(), &ops.Call{Dir: local, Scope: roots{local}})
	write := func(name string, mode fs.FileMode) {
		t.Helper()
		if err := os.WriteFile(name, []byte("old\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(name, mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(local, "private.conf"), 0o600)
	write(filepath.Join(local, "set.conf"), 0o600)
	write(filepath.Join(local, "target.conf"), 0o640)
	write(filepath.Join(outside, "secret.conf"), 0o600)
	if err := os.Symlink("target.conf", filepath.Join(local, "inside.link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.conf"), filepath.Join(local, "outside.link")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dest string
		mode string
		want fs.FileMode
	}{
		{dest: "private.conf", want: 0o600},
		{dest: "set.conf", mode: "0640", want: 0o640},
		{dest: "fresh.conf", want: 0o644},
		{dest: "inside.link", want: 0o640},
		{dest: "outside.link", want: 0o644},
	} {
		params := map[string]any{"host": "box", "src": src, "dest": tc.dest}
		if tc.mode != "" {
			params["mode"] = tc.mode
		}
		if _, err := execute(t, ctx, pool, "ssh.download", params); err != nil {
			t.Errorf("%s: %v", tc.dest, err)
			continue
		}
		fi, err := os.Lstat(filepath.Join(local, tc.dest))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != tc.want {
			t.Errorf("%s: mode %v, want a file with %04o", tc.dest, fi.Mode(), tc.want)
		}
	}
	for name, want := range map[string]string{filepath.Join(local, "target.conf"): "old\n", filepath.Join(outside, "secret.conf"): "old\n"} {
		if b, _ := os.ReadFile(name); string(b) != want {
			t.Errorf("%s holds %q; a link's target must be left alone", name, b)
		}
	}
}
