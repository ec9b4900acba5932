package fsroot

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// protected are the paths no file operation touches, whatever its roots:
// the state dirs of this process, which hold the keys that sign console
// sessions and reports, its keys and policy files, and the private
// runtime directory of every process (PrivateBase). A role whose roots
// hold the state dir (the working directory when it sets no file_roots,
// say) could otherwise read the session key and sign itself an admin
// session, or rewrite the policy.
var protected struct {
	sync.RWMutex
	paths []protectedPath
	// added holds each path with its loadable: a path is listed once
	// as loadable and once as not, at most.
	added map[addedKey]bool
	// sorted are the paths alone, sorted; replaced, never changed.
	// unsorted are those added since it was made: a thousand keys
	// files are sorted once, when next read, not once each.
	sorted, unsorted []string
}

type addedKey struct {
	path     string
	loadable bool
}

type protectedPath struct {
	path string // absolute
	what string // what it is, for messages: "state dir", "keys file"
	// firstMissing is, for a path that did not exist when protected, the
	// first of it and its parents that did not: once that exists, a
	// symlink made on the way may have moved the path, and Guard resolves
	// it again. "" for a path that existed.
	firstMissing string
	// loadable is set for playbooks a daemon serves (ProtectPlaybooks): no
	// file operation touches them, but arsenal-run loads playbooks from
	// them (Open).
	loadable bool
}

// lstat is os.Lstat; a test counts the calls through it.
var lstat = os.Lstat

// firstMissing returns the first of abs and its parents that does not
// exist, from the top; "" when abs exists.
func firstMissing(abs string) string {
	missing := ""
	for p := abs; ; p = filepath.Dir(p) {
		if _, err := lstat(p); err == nil {
			return missing
		}
		missing = p
		if filepath.Dir(p) == p {
			return missing
		}
	}
}

// Protect adds path (a directory and all it holds, or a file), as given
// and with symlinks resolved, to what no file operation touches; what
// names it in messages ("state dir", "policy file").
func Protect(path, what string) { protect(path, what, false) }

// ProtectPlaybooks is Protect for the playbooks a daemon loads, a
// directory or a file: no file operation touches them (a role whose roots
// held them could plant or rewrite a playbook that the next reload runs
// with the daemon's roles, or that a caller with more rights runs by
// name), but arsenal-run itself still loads playbooks from them (Open):
// the daemon's reloads, and the sub-playbooks they run.
func ProtectPlaybooks(path, what string) { protect(path, what, true) }

// Protection is a path for ProtectAll, with what it is for messages.
type Protection struct{ Path, What string }

// ProtectAll is Protect for many paths at once, as for the SSH keys and
// known_hosts files in ~/.ssh: each directory that holds them is looked
// up once rather than once per file, so that a run of a playbook with
// no ssh.* step pays a few system calls for their protection, not one
// walk up to / per file.
func ProtectAll(ps []Protection) {
	dirs := map[string]dirForms{}
	seen := map[Protection]bool{}
	for _, p := range ps {
		if p.Path == "" || seen[p] {
			continue
		}
		seen[p] = true
		abs, err := filepath.Abs(p.Path)
		if err != nil {
			continue
		}
		abs = filepath.Clean(abs)
		dir := filepath.Dir(abs)
		d, ok := dirs[dir]
		if !ok {
			d = dirForms{missing: firstMissing(dir), resolved: Resolved(dir)}
			dirs[dir] = d
		}
		missing, real := d.missing, ""
		if missing == "" {
			// The directory exists: the file may be missing, or a
			// symlink, which only a walk of its own resolves.
			if fi, err := lstat(abs); err != nil {
				missing = abs
			} else if fi.Mode()&os.ModeSymlink != 0 {
				real = Resolved(abs)
			}
		}
		if real == "" {
			// A missing or plain file resolves where its directory does.
			real = filepath.Join(d.resolved, filepath.Base(abs))
		}
		add(abs, real, p.What, missing, false)
	}
}

// dirForms is what ProtectAll learns of a directory once for its files.
type dirForms struct{ missing, resolved string }

func protect(path, what string, loadable bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return
	}
	abs = filepath.Clean(abs)
	add(abs, Resolved(abs), what, firstMissing(abs), loadable)
}

// add protects abs and its resolved form real.
func add(abs, real, what, missing string, loadable bool) {
	protected.Lock()
	defer protected.Unlock()
	if protected.added == nil {
		protected.added = map[addedKey]bool{}
	}
	for _, form := range []string{abs, real} {
		k := addedKey{form, loadable}
		if !protected.added[k] {
			protected.added[k] = true
			protected.paths = append(protected.paths, protectedPath{form, what, missing, loadable})
			protected.unsorted = append(protected.unsorted, form)
		}
	}
}

// ProtectedPaths returns the protected paths, as given and resolved,
// sorted: what a cached file read must be keyed by, since a read one
// process allowed another may refuse. The slice is shared: read it only.
func ProtectedPaths() []string {
	protectPrivate()
	return sortedPaths()
}

// sortedPaths is ProtectedPaths without protecting PrivateBase.
func sortedPaths() []string {
	protected.RLock()
	sorted, stale := protected.sorted, len(protected.unsorted) > 0
	protected.RUnlock()
	if !stale {
		return sorted
	}
	protected.Lock()
	defer protected.Unlock()
	if len(protected.unsorted) > 0 {
		// A new slice: a caller may still read the one it replaces.
		sorted := append(slices.Clone(protected.sorted), protected.unsorted...)
		slices.Sort(sorted)
		protected.sorted, protected.unsorted = sorted, nil
	}
	return protected.sorted
}

func protectedPaths() []protectedPath {
	protectPrivate()
	protected.RLock()
	defer protected.RUnlock()
	return protected.paths
}

// loading is guard's readable for arsenal-run's own loading of playbooks
// (Open): not a kind of protected path, since it holds a NUL.
const loading = "\x00loading"

// Inventory is what the ssh inventory a run was given (--inventory) is
// protected as. It says where each host is, so no file operation may
// write it; but cluster.health and cluster.topology take their nodes from
// the same file, and may read that file itself (ReadFileOf), nothing in
// or beside it.
const Inventory = "inventory"

// Guard returns an error wrapping ops.ErrDenied when the absolute path abs
// is or lies in a protected path, as written or once its symlinks are
// resolved (see Resolved); else nil. A protected path is compared also as
// it resolves now: one that did not exist when it was protected (a
// plugins dir not made yet) moves with a symlink made since on the way
// to it, and a write there must not plant what the next start loads.
func Guard(abs string) error { return guard(abs, "") }

// GuardRead is Guard for a file arsenal-run reads for a run itself
// through a root of its own rather than through Open (a playbook's
// env_file): the playbooks a daemon serves (ProtectPlaybooks), and what
// lies beside them, are not refused, as Open does not refuse them.
func GuardRead(abs string) error { return guard(abs, loading) }

// GuardOpenedRead is GuardOpened for a file GuardRead allowed.
func GuardOpenedRead(f *os.File) error { return guardOpened(f, loading) }

// guard is Guard, except that with readable set, a protected file of that
// kind is not refused when abs is that very file, and with readable
// loading, no path protected by ProtectPlaybooks is.
func guard(abs, readable string) error {
	ps := currentForms()
	if len(ps) == 0 {
		return nil
	}
	abs = filepath.Clean(abs)
	if err := guardIn(ps, abs, readable); err != nil {
		return err
	}
	real := Resolved(abs)
	if e := guardErr(ps, real, readable); e != nil {
		e.via(abs, real)
		return e
	}
	return nil
}

// GuardLexical is Guard for a path taken as written, with no symlink
// resolved: for the entries of a walk from a resolved directory, which
// follows no symlink.
func GuardLexical(abs string) error {
	return guardIn(currentForms(), filepath.Clean(abs), "")
}

func guardIn(ps []protectedPath, abs, readable string) error {
	if e := guardErr(ps, abs, readable); e != nil {
		return e
	}
	return nil
}

// guardErr is guardIn's refusal as a *ProtectedError, nil when none.
func guardErr(ps []protectedPath, abs, readable string) *ProtectedError {
	if e := ownProcErr(abs); e != nil {
		return e
	}
	for _, p := range ps {
		if readable != "" && p.what == readable && abs == p.path {
			continue
		}
		if readable == loading && p.loadable {
			continue
		}
		if abs == p.path || within(abs, p.path) {
			return &ProtectedError{Path: abs, Protected: p.path, What: p.what}
		}
	}
	return nil
}

// currentForms are the protected paths as protected and, for one that
// was missing then and is no longer wholly missing, as it resolves now.
// One that existed cannot move: a symlink on the way to it would first
// need a directory holding it moved or removed, which GuardTree refuses.
func currentForms() []protectedPath {
	ps := protectedPaths()
	var out []protectedPath
	// Paths missing from the same place (the keys in an absent ~/.ssh)
	// share one look at it per call.
	var stillMissing []string
	for _, p := range ps {
		if p.firstMissing == "" || slices.Contains(stillMissing, p.firstMissing) {
			continue
		}
		if _, err := lstat(p.firstMissing); err != nil {
			stillMissing = append(stillMissing, p.firstMissing)
			continue // still missing from the same place: not moved
		}
		if now := Resolved(p.path); now != p.path {
			if out == nil {
				out = append(make([]protectedPath, 0, len(ps)+2), ps...)
			}
			out = append(out, protectedPath{now, p.what, p.firstMissing, p.loadable})
		}
	}
	if out == nil {
		return ps
	}
	return out
}

// ProtectedError is the refusal of a path that is or lies in a protected
// path. It wraps ops.ErrDenied.
type ProtectedError struct {
	Path      string // the path refused
	Protected string // the protected path it is or lies in
	What      string // what that is: "state dir", "keys file"
	holds     bool   // Path holds Protected (GuardTree)
	// Real is where Path leads through its symlinks, when it is refused
	// for that and not as written; "" otherwise.
	Real string
	// Link is the protected file that Path is another name of (a hard
	// link), when it is refused for that (GuardIdentity); "" otherwise.
	Link string
}

// via records that the path as written, abs, was refused as real, where
// its symlinks lead.
func (e *ProtectedError) via(abs, real string) {
	if real != abs {
		e.Path, e.Real = abs, real
	}
}

func (e *ProtectedError) Error() string {
	followed := ""
	if e.Real != "" {
		followed = fmt.Sprintf(" (followed through a symlink: it leads to %s)", e.Real)
	}
	switch {
	case e.Link != "" && e.Link == e.Protected:
		return fmt.Sprintf("%v: path %q is another name (a hard link) of arsenal-run's %s %s, which no file operation touches; "+
			"use a copy of what you need instead of a link", ops.ErrDenied, e.Path, e.What, e.Protected)
	case e.Link != "":
		return fmt.Sprintf("%v: path %q is another name (a hard link) of %s, in arsenal-run's %s %s, which no file operation touches; "+
			"use a copy of what you need instead of a link", ops.ErrDenied, e.Path, e.Link, e.What, e.Protected)
	case e.holds:
		return fmt.Sprintf("%v: path %q%s holds arsenal-run's %s %s, which no file operation touches", ops.ErrDenied, e.Path, followed, e.What, e.Protected)
	case e.Path == e.Protected || e.Real == e.Protected:
		return fmt.Sprintf("%v: path %q%s is arsenal-run's %s, which no file operation touches", ops.ErrDenied, e.Path, followed, e.What)
	}
	return fmt.Sprintf("%v: path %q%s is in arsenal-run's %s %s, which no file operation touches", ops.ErrDenied, e.Path, followed, e.What, e.Protected)
}

func (e *ProtectedError) Unwrap() error { return ops.ErrDenied }

// GuardTree is Guard for an operation on a whole tree (moving a
// directory): it is denied also when a protected path lies under abs, so
// that moving a parent away cannot carry the protected path out of its
// place.
func GuardTree(abs string) error {
	if err := Guard(abs); err != nil {
		return err
	}
	abs = filepath.Clean(abs)
	ps := currentForms()
	for _, form := range []string{abs, Resolved(abs)} {
		for _, p := range ps {
			if within(p.path, form) {
				e := &ProtectedError{Path: abs, Protected: p.path, What: p.what, holds: true}
				e.via(abs, form)
				return e
			}
		}
	}
	return nil
}

// Resolved returns abs with its symlinks resolved as far as they lead: the
// longest existing prefix through filepath.EvalSymlinks, and a dangling
// link followed to where a file created through it would be; the rest as
// written.
func Resolved(abs string) string {
	return resolved(filepath.Clean(abs), 0)
}

func resolved(abs string, depth int) string {
	// levels are abs and its parents, from abs up to the top.
	levels := []string{abs}
	for p := abs; filepath.Dir(p) != p; {
		p = filepath.Dir(p)
		levels = append(levels, p)
	}
	// The answer is the form of the first level, from abs up, that
	// EvalSymlinks resolves or that exists (Lstat). A level's parent
	// passes whichever test the level passes: EvalSymlinks walks the
	// parent's names as the first of the level's, and fails on the
	// level if on them; the kernel looks the parent up to reach the
	// level. So the levels that pass are a run up to the top, and a
	// binary search finds the first: a missing path costs a few
	// walks, not one per missing name.
	type look struct {
		ev   string
		fi   os.FileInfo
		pass bool
	}
	looks := make([]*look, len(levels))
	at := func(i int) *look {
		if looks[i] == nil {
			l := &look{}
			if ev, err := filepath.EvalSymlinks(levels[i]); err == nil {
				l.ev, l.pass = ev, true
			} else if fi, err := lstat(levels[i]); err == nil {
				l.fi, l.pass = fi, true
			}
			looks[i] = l
		}
		return looks[i]
	}
	// lo fails, hi passes (len(levels) when none does): abs, the usual
	// case, is looked at first.
	lo, hi := -1, 0
	if !at(0).pass {
		lo, hi = 0, len(levels)
		for hi-lo > 1 {
			if mid := int(uint(lo+hi) >> 1); at(mid).pass {
				hi = mid
			} else {
				lo = mid
			}
		}
	}
	if hi == len(levels) {
		return abs
	}
	p, l := levels[hi], at(hi)
	rest := ""
	if hi > 0 {
		bases := make([]string, hi)
		for i := range hi {
			bases[hi-1-i] = filepath.Base(levels[i])
		}
		rest = filepath.Join(bases...)
	}
	if l.fi == nil {
		return filepath.Join(l.ev, rest)
	}
	if l.fi.Mode()&os.ModeSymlink != 0 && depth < 40 {
		if target, err := os.Readlink(p); err == nil {
			if !filepath.IsAbs(target) {
				target = filepath.Join(filepath.Dir(p), target)
			}
			return resolved(filepath.Join(target, rest), depth+1)
		}
	}
	return filepath.Join(p, rest)
}

// within reports whether path is dir or lies under it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Open opens path for reading as fsx.Open does (only a regular file, and
// never blocking) unless it is or lies in a protected path, as named or,
// once open, where it really is (GuardOpened: a symlink swapped in
// between the check and the open): a *ProtectedError, wrapping
// ops.ErrDenied, then. It is for the files arsenal-run reads for a run
// itself: a playbook, an inputs file, an input's from_file. The playbooks
// a daemon serves (ProtectPlaybooks) are not refused: it loads them.
func Open(path string) (*os.File, error) {
	if abs, err := filepath.Abs(path); err == nil {
		if err := guard(abs, loading); err != nil {
			return nil, err
		}
	}
	f, err := fsx.Open(path)
	if err != nil {
		return nil, err
	}
	if err := guardOpened(f, loading); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
