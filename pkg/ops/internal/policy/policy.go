// Package policy is where the ops consult the caller's authorization scope
// (ops.Call.Scope) at run time: which directories file access may touch and
// which addresses network access may reach. A scope that does not implement
// an interface places no restriction of that kind beyond the defaults.
package policy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/sandbox"
)

// FileRoots is implemented by a scope that limits file access to a set of
// directory trees. nil means the defaults (DefaultRoots); an empty,
// non-nil list allows no file access at all.
type FileRoots interface {
	FileRoots() []string
}

// PathChooser is implemented by a scope whose file roots are those of one
// of several roles, each allowing the whole call on its own: UsePath
// keeps the roles whose roots hold path (absolute and clean), so that the
// call's other paths, hosts and addresses must be allowed by one of them
// too, and returns the roots left (nil: the defaults). Locate calls it
// for every path, before it looks for the path in the roots.
type PathChooser interface {
	UsePath(path string) []string
}

// RootsOwners is implemented by a scope that can say whose file roots a
// path is judged against (the roles, each with its own roots, and the
// policy file), for a denial to name them.
type RootsOwners interface {
	RootsOwners() fsroot.Owners
}

// SignalPolicy is implemented by a scope that may forbid signalling
// processes this arsenal-run did not start.
type SignalPolicy interface {
	MaySignalOthers() bool
}

// SandboxPolicy is implemented by a scope that may require programs to
// run sandboxed. SandboxRequirement returns the limits a required sandbox
// must keep to, or nil when none is required.
type SandboxPolicy interface {
	SandboxRequirement() *sandbox.Limits
}

// DialPolicy is implemented by a scope that limits the network addresses ops
// may connect to. AllowDial is called for every connection, after name
// resolution, with the host as the user wrote it and the IP the connection
// reaches (see Reached); a non-nil error refuses the connection.
type DialPolicy interface {
	AllowDial(host string, ip net.IP) error
}

// DefaultRoots returns the roots used when the scope sets none: the working
// directory and the temp directory.
func DefaultRoots() []string { return fsroot.Defaults() }

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
type Place = fsroot.Place

// Locate finds the root that lexically contains path (made absolute with
// Abs) among roots, preferring the deepest one; see fsroot.Locate. A path
// under no root is an error wrapping ops.ErrDenied that names the path
// and the roots.
func Locate(ctx context.Context, path string, roots []string) (Place, error) {
	abs, err := Abs(ctx, path)
	if err != nil {
		return Place{}, err
	}
	if pc, ok := ops.CallFrom(ctx).Scope.(PathChooser); ok {
		// The roots of the roles left, whatever the caller read before:
		// a list read before an earlier path narrowed the choice still
		// holds the roots of roles that no longer allow the call.
		if roots = pc.UsePath(abs); roots == nil {
			roots = DefaultRoots()
		}
	}
	place, err := fsroot.Locate(abs, roots)
	if err != nil {
		return Place{}, notInRoots(ctx, err, path, roots)
	}
	return place, nil
}

// notInRoots is the error of fsroot refusing path: a protected path as
// fsroot says it, a path that a symlink leads out of the roots as such
// (Escaped: saying it is outside them sends the reader to a path that is
// inside), anything else as outside the roots (Denied).
func notInRoots(ctx context.Context, err error, path string, roots []string) error {
	var pe *fsroot.ProtectedError
	var ee *fsroot.EscapeError
	switch {
	case errors.As(err, &pe):
		return err
	case errors.As(err, &ee):
		return Escaped(ctx, path, roots)
	}
	return Denied(ctx, path, roots)
}

// Denied returns the error for a path outside every root. It names the
// path as written and, when that differs, the absolute path it resolved
// to (see Abs), the roots with the roles they are of, and the fix:
// file_roots of those roles in the policy file.
func Denied(ctx context.Context, path string, roots []string) error {
	return fsroot.OutsideRoots(named(ctx, path), roots, owners(ctx))
}

// Escaped returns the error for a path that a symlink or ".." leads out of
// every root, naming it as Denied does.
func Escaped(ctx context.Context, path string, roots []string) error {
	return fsroot.EscapesRoots(named(ctx, path), roots, owners(ctx))
}

// owners says whose roots the call in ctx has, when its scope tells.
func owners(ctx context.Context) fsroot.Owners {
	if ro, ok := ops.CallFrom(ctx).Scope.(RootsOwners); ok {
		return ro.RootsOwners()
	}
	return fsroot.Owners{}
}

// named is path as a denial names it (fsroot.Named): as written, and
// where it resolved to when that differs.
func named(ctx context.Context, path string) string {
	abs, err := Abs(ctx, path)
	if err != nil {
		abs = ""
	}
	return fsroot.Named(path, abs, relativeTo(ctx))
}

// relativeTo names what a relative path is taken from (see Abs).
func relativeTo(ctx context.Context) string {
	if ops.CallFrom(ctx).Dir == "" {
		return "the working directory"
	}
	return "the playbook's directory"
}

// IsEscape reports whether err is os.Root refusing a path that leaves the
// root through ".." or a symlink.
func IsEscape(err error) bool { return fsroot.IsEscape(err) }

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
		ip := Reached(network, address)
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

// Reached returns the IP that a connection to address (host:port, as a
// dialer's Control function gets it) reaches. On Linux, connecting to an
// unspecified address (0.0.0.0, ::, ::ffff:0.0.0.0, or an empty host)
// connects to the local host, so those come back as the loopback address
// of their family; everything else comes back as written. A host that is
// not an IP (such as one with an IPv6 zone) gives nil, which a policy
// refuses.
func Reached(network, address string) net.IP {
	h, _, err := net.SplitHostPort(address)
	if err != nil {
		h = address
	}
	var ip net.IP
	if h == "" {
		ip = net.IPv4zero
		if strings.HasSuffix(network, "6") {
			ip = net.IPv6unspecified
		}
	} else if ip = net.ParseIP(h); ip == nil {
		return nil
	}
	switch {
	case !ip.IsUnspecified():
		return ip
	case ip.To4() != nil:
		return net.IPv4(127, 0, 0, 1)
	}
	return net.IPv6loopback
}

// MaySignalOthers reports whether the call in ctx may signal processes
// that this arsenal-run did not start (yes, unless the scope says no).
func MaySignalOthers(ctx context.Context) bool {
	sp, ok := ops.CallFrom(ctx).Scope.(SignalPolicy)
	return !ok || sp.MaySignalOthers()
}

// SandboxRequirement returns the limits within which the call in ctx must
// run programs sandboxed, or nil when it need not.
func SandboxRequirement(ctx context.Context) *sandbox.Limits {
	if sp, ok := ops.CallFrom(ctx).Scope.(SandboxPolicy); ok {
		return sp.SandboxRequirement()
	}
	return nil
}

// HasDialPolicy reports whether the call in ctx restricts network access:
// its scope has rules on where connections go. Such a call dials through
// the check, on connections of its own and with no proxy; any other uses
// the shared pools and the environment's proxy.
func HasDialPolicy(ctx context.Context) bool {
	sc := ops.CallFrom(ctx).Scope
	if _, ok := sc.(DialPolicy); !ok {
		return false
	}
	if r, ok := sc.(interface{ RestrictsNetwork() bool }); ok {
		return r.RestrictsNetwork()
	}
	return true
}

// TimedOut reports whether err, from DialContext or a request over a
// connection it made, is a deadline running out: the context's, or the
// dialer's own, which can fire a moment before the context's timer and
// then comes back as a net.Error with Timeout() rather than as
// context.DeadlineExceeded. A probe that checks only its context would
// then report a node that never answered as refused.
func TimedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &ne) && ne.Timeout()
}

// DialContext dials addr (host:port) with base, checking the call's
// DialPolicy on the name before it is resolved (AllowName) and on the
// resolved address.
func DialContext(ctx context.Context, base net.Dialer, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if err := AllowName(ctx, host); err != nil {
		return nil, err
	}
	return Dialer(ctx, base, host).DialContext(ctx, network, addr)
}

// AllowName refuses, before it is resolved, a host name the call's rules
// deny by name alone (see auth.Scope.AllowName); nil for anything else.
func AllowName(ctx context.Context, host string) error {
	n, ok := ops.CallFrom(ctx).Scope.(interface{ AllowName(string) error })
	if !ok {
		return nil
	}
	if err := n.AllowName(host); err != nil {
		if errors.Is(err, ops.ErrDenied) {
			return err
		}
		return fmt.Errorf("%w: %v", ops.ErrDenied, err)
	}
	return nil
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
	return readFile(ctx, path, extra, max, "", nil)
}

// ReadFileOf is ReadFile, except that a path that is itself a protected
// file of kind what (fsroot.Inventory) is read, still only within the
// call's roots: for the operations that read that file, and no other
// protected one.
func ReadFileOf(ctx context.Context, path string, extra []string, max int64, what string) ([]byte, error) {
	return readFile(ctx, path, extra, max, what, nil)
}

// ReadTrustedFileOf is ReadFileOf for a file whose content steers what
// the call does (the nodes of cluster.*), which the call refuses, when it
// refuses swappable files (ops.Call.RefuseSwappable: serve and schedule),
// if another user of the host could change it or put a file of their own
// in its place (fsx.AnyoneMayWrite), judged on the file as opened, before
// it is read. desc names the file in the error, like "the inventory"; could is
// what its writer could then do.
func ReadTrustedFileOf(ctx context.Context, path string, extra []string, max int64, what, desc, could string) ([]byte, error) {
	var judge func(*os.File, string) error
	if ops.CallFrom(ctx).RefuseSwappable {
		judge = func(f *os.File, abs string) error { return swappableOpen(f, abs, desc, could) }
	}
	return readFile(ctx, path, extra, max, what, judge)
}

func readFile(ctx context.Context, path string, extra []string, max int64, readable string, judge func(*os.File, string) error) ([]byte, error) {
	abs, err := Abs(ctx, path)
	if err != nil {
		return nil, err
	}
	var roots []string
	if pc, ok := ops.CallFrom(ctx).Scope.(PathChooser); ok && !within(abs, extra) {
		// As Locate: the path narrows the roles that may allow the
		// call; one inside extra (the playbook's own directory) reads
		// nothing a role gives.
		if roots = pc.UsePath(abs); roots == nil {
			roots = DefaultRoots()
		}
	} else {
		roots = Roots(ctx)
	}
	roots = append(append([]string(nil), roots...), extra...)
	var opened func(*os.File) error
	if judge != nil {
		opened = func(f *os.File) error { return judge(f, abs) }
	}
	b, err := fsroot.ReadFileJudged(abs, roots, max, readable, opened)
	if errors.Is(err, ops.ErrDenied) {
		return nil, notInRoots(ctx, err, path, roots)
	}
	return b, err
}

// within reports whether abs lies lexically inside one of dirs.
func within(abs string, dirs []string) bool {
	for _, d := range dirs {
		if rel, err := filepath.Rel(filepath.Clean(d), abs); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return true
		}
	}
	return false
}

// Classify turns an error of a file operation on path into a classed
// error that names the path: an escape from the roots, or a policy refusal,
// is of class authorization and names the roots; the rest is execution.
// When path is relative, the execution errors also name the absolute path
// it was resolved to (see Abs), so that a user who sees the file beside them
// learns where the op looked.
func Classify(ctx context.Context, err error, path string, roots []string) error {
	var ce *ops.Error
	switch {
	case errors.As(err, &ce):
		return err
	case errors.Is(err, ops.ErrDenied):
		return ops.WithClass(ops.ClassAuthorization, err)
	case IsEscape(err):
		return ops.WithClass(ops.ClassAuthorization, Escaped(ctx, path, roots))
	case errors.Is(err, fs.ErrNotExist):
		return ops.Errorf(ops.ClassExecution, "%s does not exist%s", path, LookedFor(ctx, path))
	case errors.Is(err, fs.ErrPermission):
		return ops.Errorf(ops.ClassExecution, "%s: permission denied by the file system%s", path, LookedFor(ctx, path))
	case errors.Is(err, syscall.ENOTDIR):
		if f := fileInTheWay(ctx, path); f != "" {
			return ops.Errorf(ops.ClassExecution, "%s is a file, not a directory, so %s cannot be reached through it%s: "+
				"give a path that does not go through %s, or move it out of the way", f, path, LookedFor(ctx, path), f)
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return ops.Errorf(ops.ClassExecution, "%s: %v%s", path, err, LookedFor(ctx, path))
}

// fileInTheWay returns the part of path (as written) that is a file where
// path needs a directory: afile for afile/x/y. It is "" when none is.
func fileInTheWay(ctx context.Context, path string) string {
	for p := filepath.Dir(filepath.Clean(path)); p != "." && p != filepath.Dir(p); p = filepath.Dir(p) {
		abs, err := Abs(ctx, p)
		if err != nil {
			return ""
		}
		if fi, err := os.Stat(abs); err == nil {
			if fi.IsDir() {
				return ""
			}
			return p
		}
	}
	return ""
}

// LookedFor returns, for a relative path, a note naming what it was resolved
// against and the absolute path that was used; for an absolute path, "".
func LookedFor(ctx context.Context, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return ""
	}
	abs, err := Abs(ctx, path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf(" (relative paths resolve against %s: looked for %s)", relativeTo(ctx), abs)
}

// Walked returns, for a walk through the tree at the absolute path base,
// whether the walk must leave out the entry at rel: a path no file
// operation touches (see fsroot.Protect). The walk follows no symlink, so
// the entries are checked as written under base and under base resolved.
func Walked(base string) func(rel string) bool {
	real := fsroot.Resolved(base)
	return func(rel string) bool {
		return fsroot.GuardLexical(filepath.Join(base, rel)) != nil || fsroot.GuardLexical(filepath.Join(real, rel)) != nil
	}
}

// Landed returns, for the entries written under the absolute path base
// (an archive unpacked there), whether the entry at rel would land on a
// path no file operation touches: checked as written and with the
// symlinks already under base followed, since a write through os.Root
// follows those that stay inside base (one an earlier archive left,
// pointing at the state dir inside base, say).
func Landed(base string) func(rel string) bool {
	real := fsroot.Resolved(base)
	return func(rel string) bool {
		return fsroot.Guard(filepath.Join(base, rel)) != nil || fsroot.Guard(filepath.Join(real, rel)) != nil
	}
}

// GuardTree refuses an operation on the whole tree at path (moving it)
// when a protected path is in it, or it is in one.
func GuardTree(ctx context.Context, path string) error {
	abs, err := Abs(ctx, path)
	if err != nil {
		return err
	}
	return fsroot.GuardTree(abs)
}

// InRoots reports whether abs lies lexically inside the call's file roots.
func InRoots(ctx context.Context, abs string) bool { return within(abs, Roots(ctx)) }
