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
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/sftp"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// sftpClient opens an SFTP session on a pooled connection to h. done ends
// the client and gives the session back. ctx ending closes the client, so
// that a transfer in progress stops; a server that does not answer that
// close within KillGrace (it hangs) holds the transfer until its
// connection ends, so the connection is closed then, and the transfer
// fails at once. lost names that when it happened, else is nil.
func (p *Pool) sftpClient(ctx context.Context, h *inventory.Host, a authOpts) (client *sftp.Client, done func(), lost func() error, err error) {
	sess, c, release, err := p.session(ctx, h, a)
	if err != nil {
		return nil, nil, nil, err
	}
	w, err := sess.StdinPipe()
	var r io.Reader
	if err == nil {
		r, err = sess.StdoutPipe()
	}
	if err == nil {
		err = sess.RequestSubsystem("sftp")
	}
	if err == nil {
		client, err = sftp.NewClientPipe(r, w, sftp.UseConcurrentWrites(true), sftp.UseConcurrentReads(true))
	}
	if err != nil {
		release()
		return nil, nil, nil, ops.Errorf(ops.ClassExecution, "starting SFTP on %s: %w (does the server have an sftp subsystem?)", h.Name, err)
	}
	stopped := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		closed := make(chan struct{})
		go func() { client.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(p.s.KillGrace):
			c.close(&closedError{fmt.Errorf("%s gave no answer while the transfer was being stopped", h.Name)})
			<-closed
		}
		close(stopped)
	})
	lost = func() error {
		if ctx.Err() == nil {
			return nil
		}
		<-stopped // the AfterFunc runs: done, which stops it, is not yet called
		if c.isDead() {
			return c.lost()
		}
		return nil
	}
	return client, func() { stop(); client.Close(); release() }, lost, nil
}

// stopped is cause, the end of a transfer's context, with lost's
// account of its connection when it was closed because the host hung.
func stopped(cause error, lost func() error) error {
	if err := lost(); err != nil {
		return fmt.Errorf("%w; %v", cause, err)
	}
	return cause
}

// modeParam is the mode parameter of both transfers.
var modeParam = ops.Param{Name: "mode", Type: ops.TypeString, TypeHint: ops.ModeHint, MaxLen: 4,
	Description: "permission bits in octal, e.g. \"0640\"; default the mode of the file replaced, else of the source"}

func checkMode(p ops.Params, errs *ops.ParamErrors) {
	if p.Known("mode") {
		if n, err := strconv.ParseUint(p.String("mode"), 8, 32); err != nil || n > 0o777 {
			*errs = append(*errs, &ops.ParamError{Param: "mode", Msg: fmt.Sprintf("%q is not an octal mode from 0 to 0777", p.String("mode"))})
		}
	}
}

func modeOf(p ops.Params, def fs.FileMode) fs.FileMode {
	if p.Known("mode") {
		n, _ := strconv.ParseUint(p.String("mode"), 8, 32)
		return fs.FileMode(n).Perm()
	}
	return def.Perm()
}

func tempSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return ".arsenal-tmp-" + hex.EncodeToString(b)
}

// renameRemote replaces newname with oldname atomically (OpenSSH's
// posix-rename extension); a server without it gets a remove and a rename.
func renameRemote(c *sftp.Client, oldname, newname string) error {
	err := c.PosixRename(oldname, newname)
	if err == nil || !isUnsupported(err) {
		return err
	}
	if err := c.Rename(oldname, newname); err == nil {
		return nil
	}
	if err := c.Remove(newname); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return c.Rename(oldname, newname)
}

func isUnsupported(err error) bool {
	var se *sftp.StatusError
	return errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxOpUnsupported || errors.Is(err, sftp.ErrSSHFxOpUnsupported)
}

func sftpError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such file or directory")
	case errors.Is(err, fs.ErrPermission):
		return errors.New("permission denied")
	}
	var se *sftp.StatusError
	if errors.As(err, &se) {
		switch se.FxCode() {
		case sftp.ErrSSHFxNoSuchFile:
			return errors.New("no such file or directory")
		case sftp.ErrSSHFxPermissionDenied:
			return errors.New("permission denied")
		}
	}
	return err
}

// noSuchFile reports whether err says a file does not exist.
func noSuchFile(err error) bool {
	var se *sftp.StatusError
	return errors.Is(err, fs.ErrNotExist) || errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxNoSuchFile
}

// testHookLocated, when set, runs once openLocal has checked the path,
// with the absolute path: tests swap what it names there.
var testHookLocated func(abs string)

// openLocal opens a regular file inside the caller's file roots.
func openLocal(ctx context.Context, name string) (*os.File, fs.FileInfo, func(), error) {
	roots := policy.Roots(ctx)
	place, err := policy.Locate(ctx, name, roots)
	if err != nil {
		return nil, nil, nil, ops.WithClass(ops.ClassAuthorization, err)
	}
	if testHookLocated != nil {
		testHookLocated(place.Abs)
	}
	root, err := os.OpenRoot(place.Root)
	if err != nil {
		return nil, nil, nil, ops.Errorf(ops.ClassExecution, "opening the root %s: %w", place.Root, err)
	}
	// Opened without blocking: a FIFO with no writer would hold the step,
	// past its timeout, for good.
	f, err := fsx.OpenIn(root, place.Rel)
	if err == nil {
		var fi fs.FileInfo
		if fi, err = f.Stat(); err == nil {
			// A protected file under another name (a hard link), or
			// one a symlink swapped in after the check led the open
			// to, is sent to no host.
			err := fsroot.GuardIdentity(filepath.Join(place.Root, place.Rel), fi)
			if err == nil {
				err = fsroot.GuardOpened(f)
			}
			if err != nil {
				f.Close()
				root.Close()
				return nil, nil, nil, ops.WithClass(ops.ClassAuthorization, err)
			}
			return f, fi, func() { f.Close(); root.Close() }, nil
		}
		f.Close()
	}
	root.Close()
	if errors.Is(err, fsx.ErrNotRegular) {
		return nil, nil, nil, ops.Errorf(ops.ClassExecution, "%s is not a regular file", name)
	}
	if policy.IsEscape(err) {
		return nil, nil, nil, ops.WithClass(ops.ClassAuthorization, policy.Denied(ctx, name, roots))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil, ops.Errorf(ops.ClassExecution, "%s does not exist%s", name, policy.LookedFor(ctx, name))
	}
	return nil, nil, nil, ops.Errorf(ops.ClassExecution, "%s: %v%s", name, unwrapPath(err), policy.LookedFor(ctx, name))
}

// testHookFetching, when set, runs as a download is about to write the
// local file: tests swap the directories on its way there.
var testHookFetching func()

// Download is the ssh.download operation.
type Download struct{ base }

var (
	_ ops.Op             = (*Download)(nil)
	_ ops.ParamValidator = (*Download)(nil)
)

// MaxDownload is the largest max_size.
const MaxDownload = 64 << 30

func downloadSpec() ops.Spec {
	return ops.Spec{
		Name: "ssh.download",
		Description: "Copy a remote file to a local path over SFTP. It reads the remote host and changes nothing there; " +
			"the local file is written under a temporary name and renamed into place, inside the caller's file roots. " +
			"It is a write operation, as file.copy is: it creates or replaces a local file.",
		Risk: ops.RiskWrite,
		Params: []ops.Param{
			hostParam(),
			{Name: "src", Type: ops.TypeString, Required: true, MaxLen: 4096, Description: "the remote file; relative paths start at the login directory"},
			{Name: "dest", Type: ops.TypeString, Required: true, MaxLen: 4096, Path: ops.PathInRoots, Description: "the local path; relative to the playbook's directory; its directory must exist"},
			{Name: "max_size", Type: ops.TypeInteger, Default: 1 << 30, Min: ops.Bound(0), Max: ops.Bound(MaxDownload),
				Description: "refuse a remote file larger than this many bytes (default 1 GiB)"},
			modeParam,
			passphraseParam(),
		},
		Output: []ops.Field{
			{Name: "host", Type: "string"},
			{Name: "dest", Type: "string", Description: "the absolute local path written"},
			{Name: "size", Type: "integer", Description: "bytes copied"},
			{Name: "sha256", Type: "string", Description: "the SHA-256 of what was received, in hex"},
		},
	}
}

// ValidateParams checks the paths and mode.
func (*Download) ValidateParams(p ops.Params, _ bool) error {
	var errs ops.ParamErrors
	checkHost(p, &errs)
	checkRemotePath(p, "src", &errs)
	if p.Known("dest") && (p.String("dest") == "" || strings.IndexByte(p.String("dest"), 0) >= 0) {
		errs = append(errs, &ops.ParamError{Param: "dest", Msg: "is empty or holds a NUL byte"})
	}
	checkMode(p, &errs)
	return errsOrNil(errs)
}

// Execute copies the file.
func (d *Download) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	pool, h, err := d.target(ctx, p)
	if err != nil {
		return nil, err
	}
	roots := policy.Roots(ctx)
	place, err := policy.Locate(ctx, p.String("dest"), roots)
	if err != nil {
		return nil, ops.WithClass(ops.ClassAuthorization, err)
	}
	if place.Rel == "." {
		return nil, ops.Errorf(ops.ClassValidation, "param dest: %s is a root directory, not a file", p.String("dest"))
	}
	root, err := os.OpenRoot(place.Root)
	if err != nil {
		return nil, ops.Errorf(ops.ClassExecution, "opening the root %s: %w", place.Root, err)
	}
	defer root.Close()
	// The file is written, renamed and synced by its base name in its
	// directory, opened once and judged where it really is
	// (fsroot.OpenDir): a directory on the way swapped meanwhile for a
	// symlink to arsenal-run's state dir gets nothing written in it.
	dir, err := fsroot.OpenDir(root, filepath.Dir(place.Rel), false, 0)
	if err != nil {
		return nil, localError(ctx, err, p.String("dest"), roots)
	}
	defer dir.Close()
	name := filepath.Base(place.Rel)
	if fi, err := dir.Lstat(name); err == nil && fi.IsDir() {
		// Checked before the file is fetched: the rename over it would
		// fail only at the end, with "file exists".
		dest := p.String("dest")
		return nil, ops.Errorf(ops.ClassExecution, "dest %s is a directory; dest names the file to write, such as %s",
			dest, filepath.Join(dest, path.Base(p.String("src"))))
	}

	client, done, lost, err := pool.sftpClient(ctx, h, authOpts{passphrase: p.String("key_passphrase")})
	if err != nil {
		return nil, err
	}
	defer done()
	src := p.String("src")
	rf, err := client.Open(src)
	if err != nil {
		return nil, ops.Errorf(ops.ClassExecution, "%s on %s: %w", src, h.Name, sftpError(err))
	}
	defer rf.Close()
	fi, err := rf.Stat()
	if err != nil {
		return nil, ops.Errorf(ops.ClassExecution, "%s on %s: %w", src, h.Name, sftpError(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, ops.Errorf(ops.ClassExecution, "%s on %s is not a regular file", src, h.Name)
	}
	if max := int64(p.Int("max_size")); fi.Size() > max {
		return nil, ops.Errorf(ops.ClassExecution, "%s on %s is %d bytes, more than max_size %d", src, h.Name, fi.Size(), max)
	}
	mode := modeOf(p, replacedMode(root, place.Rel, fi.Mode()))
	if testHookFetching != nil {
		testHookFetching()
	}
	tmp := "." + name + tempSuffix()
	lf, err := dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, localError(ctx, err, p.String("dest"), roots)
	}
	sum := sha256.New()
	limit := &limitWriter{w: io.MultiWriter(lf, sum), n: int64(p.Int("max_size"))}
	n, err := rf.WriteTo(limit)
	if err == nil {
		err = lf.Chmod(mode)
	}
	if err == nil {
		err = lf.Sync()
	}
	if cerr := lf.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = dir.Rename(tmp, name)
	}
	if err != nil {
		_ = dir.Remove(tmp)
		if ctx.Err() != nil {
			return nil, stopped(context.Cause(ctx), lost)
		}
		return nil, ops.Errorf(ops.ClassExecution, "downloading %s from %s: %w", src, h.Name, sftpError(err))
	}
	if d, err := dir.Open("."); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return map[string]any{"host": h.Name, "dest": place.Abs, "size": n, "sha256": hex.EncodeToString(sum.Sum(nil))}, nil
}

// StopTime is how long an ssh.download step may take to return once its
// context is done (ops.Stopper): the wait for a host that does not answer
// the close of its transfer. See Exec.StopTime for the settings.
func (d *Download) StopTime(ops.Params) time.Duration { return d.pool.s.KillGrace }

// replacedMode is the mode of the local file a download replaces, else
// def (the source's), as for an upload: a private file stays private. A
// symbolic link at name is replaced, not written through; the file it
// points to lends its mode when it lies inside root (os.Root follows no
// link out of it), since that is the file the name showed.
func replacedMode(root *os.Root, name string, def fs.FileMode) fs.FileMode {
	fi, err := root.Lstat(name)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		fi, err = root.Stat(name)
	}
	if err != nil || !fi.Mode().IsRegular() {
		return def
	}
	return fi.Mode()
}

// limitWriter fails once more than n bytes are written: a file that grows
// while it is read stays within max_size.
type limitWriter struct {
	w io.Writer
	n int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, errors.New("the file grew beyond max_size while it was read")
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}

func localError(ctx context.Context, err error, name string, roots []string) error {
	switch {
	case policy.IsEscape(err):
		return ops.WithClass(ops.ClassAuthorization, policy.Denied(ctx, name, roots))
	case errors.Is(err, ops.ErrDenied):
		return ops.WithClass(ops.ClassAuthorization, err)
	case errors.Is(err, fs.ErrNotExist):
		return ops.Errorf(ops.ClassExecution, "the directory of %s does not exist; create it first", name)
	}
	return ops.Errorf(ops.ClassExecution, "%s: %v", name, unwrapPath(err))
}
