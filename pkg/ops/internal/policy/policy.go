// Package policy is where the ops consult the caller's authorization scope
// (ops.Call.Scope) at run time: which directories file access may touch and
// which addresses network access may reach. A scope that does not implement
// an interface places no restriction of that kind beyond the defaults.
package policy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// FileRoots is implemented by a scope that limits file access to a set of
// directory trees. nil means the defaults (DefaultRoots); an empty,
// non-nil list allows no file access at all.
type FileRoots interface {
	FileRoots() []string
}

// SignalPolicy is implemented by a scope that may forbid signalling
// processes this arsenal-run did not start.
type SignalPolicy interface {
	MaySignalOthers() bool
}

// SandboxPolicy is implemented by a scope that may require shell.exec to
// run sandboxed.
type SandboxPolicy interface {
	SandboxRequired() bool
}

// DialPolicy is implemented by a scope that limits the network addresses ops
// may connect to. AllowDial is called for every connection, after name
// resolution, with the host as the user wrote it and the IP about to be
// dialled; a non-nil error refuses the connection.
type DialPolicy interface {
	AllowDial(host string, ip net.IP) error
}

// DefaultRoots returns the roots used when the scope sets none: the working
// directory and the temp directory.
func DefaultRoots() []string {
	var roots []string
	if wd, err := os.Getwd(); err == nil {
		roots = append(roots, wd)
	}
	return append(roots, os.TempDir())
}

// Roots returns the file roots for the call in ctx.
func Roots(ctx context.Context) []string {
	if fr, ok := ops.CallFrom(ctx).Scope.(FileRoots); ok {
		if roots := fr.FileRoots(); roots != nil {
			return roots
		}
	}
	return DefaultRoots()
}

// Abs makes path absolute: relative paths are taken from the call's Dir (the
// playbook's directory) when it is set, else from the working directory.
func Abs(ctx context.Context, path string) (string, error) {
	if filepath.IsAbs(path) {
		return filepath.Clean(path), nil
	}
	if dir := ops.CallFrom(ctx).Dir; dir != "" {
		return filepath.Join(dir, path), nil
	}
	return filepath.Abs(path)
}

// Place is a path located inside a root.
type Place struct {
	Root string // the root directory, as the scope gave it
	Rel  string // the path relative to Root, "." for the root itself
	Abs  string // the absolute path as resolved
}

// Locate finds the root that lexically contains path (made absolute with
// Abs) among roots, preferring the deepest one. The caller then opens
// Place.Rel through os.OpenRoot(Place.Root), which stops symlinks and ".."
// from leaving the root. A path under no root is an error wrapping
// ops.ErrDenied that names the path and the roots.
func Locate(ctx context.Context, path string, roots []string) (Place, error) {
	abs, err := Abs(ctx, path)
	if err != nil {
		return Place{}, err
	}
	best, bestLen := Place{}, -1
	for _, r := range roots {
		if r == "" {
			continue
		}
		for _, form := range rootForms(r) {
			rel, err := filepath.Rel(form, abs)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				continue
			}
			if len(form) > bestLen {
				best, bestLen = Place{Root: r, Rel: rel, Abs: abs}, len(form)
			}
		}
	}
	if bestLen < 0 {
		return Place{}, Denied(path, roots)
	}
	return best, nil
}

// rootForms returns a root as given and, when it differs, with symlinks
// resolved, so that /tmp/x matches a root /tmp that is a link to /private/tmp
// and the other way round.
func rootForms(r string) []string {
	r = filepath.Clean(r)
	forms := []string{r}
	if ev, err := filepath.EvalSymlinks(r); err == nil && ev != r {
		forms = append(forms, ev)
	}
	return forms
}

// Denied returns the error for a path outside every root. It names the
// roots and the fix: file_roots of the caller's role in the policy.
func Denied(path string, roots []string) error {
	if len(roots) == 0 {
		return fmt.Errorf("%w: path %q: the caller's scope allows no file access (its roles set file_roots: []); %s", ops.ErrDenied, path, widen)
	}
	return fmt.Errorf("%w: path %q is outside the allowed file roots (%s); use a path inside them, or %s", ops.ErrDenied, path, strings.Join(roots, ", "), widen)
}

// Escaped returns the error for a path that a symlink or ".." leads out of
// every root.
func Escaped(path string, roots []string) error {
	return fmt.Errorf("%w: path %q leads through a symlink or .. outside the allowed file roots (%s); the target must lie inside them too, or %s", ops.ErrDenied, path, strings.Join(roots, ", "), widen)
}

// widen says how file roots are widened.
const widen = "have an admin add its directory to file_roots of the caller's role in the policy file (--policy); " +
	"a role without file_roots gets the working directory and the temp directory (docs/authorization.md, \"Widening file_roots\")"

// IsEscape reports whether err is os.Root refusing a path that leaves the
// root through ".." or a symlink.
func IsEscape(err error) bool {
	return err != nil && strings.Contains(err.Error(), "path escapes from parent")
}

// Dialer returns a net.Dialer that checks every address it connects to
// against the DialPolicy of the call in ctx, if the scope has one. host is
// the name being dialled, as written by the user.
func Dialer(ctx context.Context, base net.Dialer, host string) *net.Dialer {
	d := base
	dp, ok := ops.CallFrom(ctx).Scope.(DialPolicy)
	if !ok {
		return &d
	}
	d.Control = func(network, address string, _ syscall.RawConn) error {
		h, _, err := net.SplitHostPort(address)
		if err != nil {
			h = address
		}
		ip := net.ParseIP(h)
		if err := dp.AllowDial(host, ip); err != nil {
			if errors.Is(err, ops.ErrDenied) {
				return err
			}
			return fmt.Errorf("%w: connecting to %s (%s): %v", ops.ErrDenied, host, ip, err)
		}
		return nil
	}
	return &d
}

// MaySignalOthers reports whether the call in ctx may signal processes
// that this arsenal-run did not start (yes, unless the scope says no).
func MaySignalOthers(ctx context.Context) bool {
	sp, ok := ops.CallFrom(ctx).Scope.(SignalPolicy)
	return !ok || sp.MaySignalOthers()
}

// SandboxRequired reports whether the call in ctx must run shell.exec
// sandboxed.
func SandboxRequired(ctx context.Context) bool {
	sp, ok := ops.CallFrom(ctx).Scope.(SandboxPolicy)
	return ok && sp.SandboxRequired()
}

// HasDialPolicy reports whether the call in ctx restricts network access.
func HasDialPolicy(ctx context.Context) bool {
	_, ok := ops.CallFrom(ctx).Scope.(DialPolicy)
	return ok
}

// DialContext dials addr (host:port) with base, checking the call's
// DialPolicy on the resolved address.
func DialContext(ctx context.Context, base net.Dialer, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	return Dialer(ctx, base, host).DialContext(ctx, network, addr)
}

// Class returns the error class for err from a network or file operation:
// authorization when a policy refused it, else fallback.
func Class(err error, fallback ops.Class) ops.Class {
	if errors.Is(err, ops.ErrDenied) {
		return ops.ClassAuthorization
	}
	return fallback
}

// ReadFile reads a regular file of at most max bytes that lies inside the
// call's roots or inside extra (such as the playbook's directory), through
// os.Root so that symlinks cannot lead outside them.
func ReadFile(ctx context.Context, path string, extra []string, max int64) ([]byte, error) {
	roots := append(Roots(ctx), extra...)
	place, err := Locate(ctx, path, roots)
	if err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(place.Root)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	fi, err := root.Stat(place.Rel)
	switch {
	case IsEscape(err):
		return nil, Escaped(path, roots)
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file", path)
	case fi.Size() > max:
		return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed", path, fi.Size(), max)
	}
	return root.ReadFile(place.Rel)
}
