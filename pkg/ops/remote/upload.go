package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/pkg/sftp"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// Upload is the ssh.upload operation.
type Upload struct{ base }

var (
	_ ops.Op             = (*Upload)(nil)
	_ ops.ParamValidator = (*Upload)(nil)
)

func uploadSpec() ops.Spec {
	return ops.Spec{
		Name: "ssh.upload",
		Description: "Copy a local file (or the text in content) to a remote host over SFTP, atomically: " +
			"it is written under a temporary name in the destination's directory, then renamed over dest, " +
			"so readers see the old file or the new one, never a part. The local file must lie inside the caller's file roots.",
		Risk: ops.RiskWrite,
		Params: []ops.Param{
			hostParam(),
			{Name: "src", Type: ops.TypeString, MaxLen: 4096, Path: ops.PathInRoots, Description: "the local file; relative to the playbook's directory; exclusive with content"},
			{Name: "content", Type: ops.TypeString, MaxLen: 16 << 20, Description: "the text to write; exclusive with src"},
			{Name: "dest", Type: ops.TypeString, Required: true, MaxLen: 4096, Description: "the remote path; relative paths start at the login directory; its directory must exist"},
			modeParam,
			passphraseParam(),
		},
		Output: []ops.Field{
			{Name: "host", Type: "string"},
			{Name: "dest", Type: "string", Description: "the remote path written"},
			{Name: "size", Type: "integer", Description: "bytes written"},
			{Name: "sha256", Type: "string", Description: "the SHA-256 of what was sent, in hex; *** when content holds a secret of the run"},
		},
	}
}

// ValidateParams checks src or content, dest and mode.
func (*Upload) ValidateParams(p ops.Params, _ bool) error {
	var errs ops.ParamErrors
	checkHost(p, &errs)
	_, hasSrc := p["src"]
	_, hasContent := p["content"]
	if hasSrc == hasContent {
		errs = append(errs, &ops.ParamError{Param: "src", Msg: "give src (a local file) or content, exactly one"})
	}
	checkRemotePath(p, "dest", &errs)
	checkMode(p, &errs)
	return errsOrNil(errs)
}

func checkRemotePath(p ops.Params, name string, errs *ops.ParamErrors) {
	if !p.Known(name) {
		return
	}
	s := p.String(name)
	switch {
	case strings.IndexByte(s, 0) >= 0:
		*errs = append(*errs, &ops.ParamError{Param: name, Msg: "contains a NUL byte"})
	case s == "" || strings.HasSuffix(s, "/") || path.Base(s) == "." || path.Base(s) == "..":
		*errs = append(*errs, &ops.ParamError{Param: name, Msg: fmt.Sprintf("%q does not name a file", s)})
	case strings.HasPrefix(s, "~/"):
		*errs = append(*errs, &ops.ParamError{Param: name, Msg: fmt.Sprintf("%q: ~ is not expanded over SFTP; relative paths start at the login directory, so write %q", s, s[2:])})
	case strings.HasPrefix(s, "~"):
		*errs = append(*errs, &ops.ParamError{Param: name, Msg: fmt.Sprintf("%q: ~ is not expanded over SFTP; write the absolute path", s)})
	}
}

// Execute copies the file.
func (u *Upload) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	pool, h, err := u.target(ctx, p)
	if err != nil {
		return nil, err
	}
	var src io.Reader
	var size int64
	mode := fs.FileMode(0o644)
	secretContent := false
	if p.Known("src") {
		f, fi, closeSrc, err := openLocal(ctx, p.String("src"))
		if err != nil {
			return nil, err
		}
		defer closeSrc()
		if abs, err := policy.Abs(ctx, p.String("src")); err == nil {
			if err := policy.SwappableSource(ctx, f, abs, "the upload's source"); err != nil {
				return nil, err
			}
		}
		src, size, mode = f, fi.Size(), fi.Mode()
	} else {
		s := p.String("content")
		src, size = strings.NewReader(s), int64(len(s))
		for _, v := range ops.CallFrom(ctx).Secrets {
			secretContent = secretContent || v != "" && strings.Contains(s, v)
		}
	}
	a := authOpts{passphrase: p.String("key_passphrase")}
	client, done, lost, err := pool.sftpClient(ctx, h, a)
	if err != nil {
		return nil, err
	}
	defer done()
	dest := p.String("dest")
	var owner *sftp.FileStat
	if fi, err := client.Lstat(dest); err == nil {
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := client.ReadLink(dest)
			return nil, ops.Errorf(ops.ClassExecution, "%s on %s is a symbolic link to %s; ssh.upload does not write through links: "+
				"set dest to the file it points to, or remove the link first to replace it with a file", dest, h.Name, target)
		case fi.IsDir():
			return nil, ops.Errorf(ops.ClassExecution, "%s on %s is a directory; dest names the file to write", dest, h.Name)
		}
		mode = fi.Mode()
		owner, _ = fi.Sys().(*sftp.FileStat)
	}
	mode = modeOf(p, mode)
	sum := sha256.New()
	// The file is written in a directory of its own, closed to others
	// before the file exists: a secret is never readable by others, even
	// in part, even if a failed upload leaves it behind.
	tmpDir := path.Join(path.Dir(dest), "."+path.Base(dest)+tempSuffix())
	tmp := path.Join(tmpDir, path.Base(dest))
	n, err := writeRemote(client, tmpDir, tmp, &io.LimitedReader{R: io.TeeReader(src, sum), N: size}, mode, owner)
	if err == nil {
		err = renameRemote(client, tmp, dest)
	}
	if err == nil {
		_ = client.RemoveDirectory(tmpDir) // empty, closed to others: harmless if it stays
	}
	if err != nil {
		var left string
		if rerr := pool.removeTemp(ctx, client, h, a, tmp, tmpDir); rerr != nil {
			left = fmt.Sprintf("; the partial copy %s may be left on %s (readable by its owner only): remove it with `rm -r %s` (%v)", tmp, h.Name, shellword.Word(tmpDir), sftpError(rerr))
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w%s", stopped(context.Cause(ctx), lost), left)
		}
		var oe *ownerError
		if errors.As(err, &oe) {
			return nil, ops.Errorf(ops.ClassExecution, "%s on %s belongs to uid %d, gid %d, and the login user cannot give the new file that owner (%v), "+
				"so it was left unchanged; log in as root or as the file's owner (user: in the inventory), or change the file's owner first%s",
				dest, h.Name, oe.uid, oe.gid, sftpError(oe.err), left)
		}
		if dir := path.Dir(dest); noSuchFile(err) {
			if _, serr := client.Stat(dir); noSuchFile(serr) {
				return nil, ops.Errorf(ops.ClassExecution, "the directory %s of dest does not exist on %s; create it first (ssh.exec with command: [mkdir, -p, %s])%s",
					dir, h.Name, dir, left)
			}
		}
		return nil, ops.Errorf(ops.ClassExecution, "uploading to %s on %s: %w%s", dest, h.Name, sftpError(err), left)
	}
	digest := hex.EncodeToString(sum.Sum(nil))
	if secretContent {
		// An unsalted hash of a short secret (a PIN, a password) is the
		// secret to whoever reads the report and tries the likely ones.
		digest = redact.Mask
	}
	return map[string]any{"host": h.Name, "dest": dest, "size": n, "sha256": digest}, nil
}

// ownerError is a replaced file's owner that the new file cannot be given.
type ownerError struct {
	uid, gid uint32
	err      error
}

func (e *ownerError) Error() string {
	return fmt.Sprintf("giving the file uid %d, gid %d: %v", e.uid, e.gid, e.err)
}

func (e *ownerError) Unwrap() error { return e.err }

// writeRemote makes dir, closes it to others, creates name in it
// exclusively, gives it owner's uid and gid when owner is not nil (the file
// it replaces), fills it from r, sets its mode and syncs it when the server
// can. The mode is set last, after the owner: chown clears set-id bits.
func writeRemote(c *sftp.Client, dir, name string, r io.Reader, mode fs.FileMode, owner *sftp.FileStat) (int64, error) {
	if err := c.Mkdir(dir); err != nil {
		return 0, err
	}
	if err := c.Chmod(dir, 0o700); err != nil {
		return 0, err
	}
	// Until the chmod, the directory had the server's umask: on one of
	// 0, another user could have put something in it. It must be ours,
	// closed and empty before the file goes in.
	if fi, err := c.Lstat(dir); err != nil {
		return 0, err
	} else if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		return 0, fmt.Errorf("the temporary directory %s is %v after it was made private; the upload did not write into it", dir, fi.Mode())
	}
	if entries, err := c.ReadDir(dir); err != nil {
		return 0, err
	} else if len(entries) > 0 {
		return 0, fmt.Errorf("the temporary directory %s holds %s, put there by someone else before it was made private; the upload did not write into it", dir, entries[0].Name())
	}
	f, err := c.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return 0, err
	}
	err = f.Chmod(0o600)
	if err == nil && owner != nil {
		var fi fs.FileInfo
		if fi, err = f.Stat(); err == nil {
			if st, ok := fi.Sys().(*sftp.FileStat); ok && (st.UID != owner.UID || st.GID != owner.GID) {
				if cerr := f.Chown(int(owner.UID), int(owner.GID)); cerr != nil {
					err = &ownerError{uid: owner.UID, gid: owner.GID, err: cerr}
				}
			}
		}
	}
	var n int64
	if err == nil {
		n, err = f.ReadFrom(r)
	}
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		if serr := f.Sync(); serr != nil && !isUnsupported(serr) {
			err = serr
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// removeTemp removes what a failed upload left (names in order: the file,
// then its directory). The client of a cancelled step is closed already
// (see sftpClient), and that of an upload whose connection was lost is
// dead: a new session, over a new connection when the pooled one is gone,
// bounded by its own short timeout rather than by ctx, removes them then.
func (p *Pool) removeTemp(ctx context.Context, c *sftp.Client, h *inventory.Host, a authOpts, names ...string) error {
	if ctx.Err() == nil {
		err := removeNames(c, names)
		if err == nil || !transportError(err) {
			return err
		}
		// The connection was lost under the upload: the host may well
		// take a new one, and the partial copy is not left for want of
		// trying. The pooled connection is dropped first unless it still
		// answers, so that the removal does not try the dead one again.
		p.closeSilentWithin(h, min(p.s.KeepAlive, cleanupTimeout/2), fmt.Errorf("an upload's transfer failed: %w", err))
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	nc, done, _, err := p.sftpClient(cctx, h, a)
	if err != nil {
		return err
	}
	defer done()
	return removeNames(nc, names)
}

// removeNames removes each of names, which may be missing, and returns the
// first error.
func removeNames(c *sftp.Client, names []string) error {
	var first error
	for _, n := range names {
		if err := c.Remove(n); err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

// transportError reports whether err is not the server's answer (a status)
// but the end of the SFTP session or of its connection.
func transportError(err error) bool {
	var se *sftp.StatusError
	return !errors.As(err, &se) && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission)
}

// cleanupTimeout bounds the removal of a cancelled upload's partial copy.
const cleanupTimeout = 10 * time.Second

// StopTime is how long an ssh.upload step may take to return once its
// context is done (ops.Stopper): the wait for a host that does not answer
// the close of its transfer, then the removal of the partial copy. See
// Exec.StopTime for the settings.
func (u *Upload) StopTime(ops.Params) time.Duration { return u.pool.s.KillGrace + cleanupTimeout }
