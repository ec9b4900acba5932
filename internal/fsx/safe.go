package fsx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// SafeEnv names the directories whose files arsenal-run trusts whoever
// owns them, as git's safe.directory does: absolute paths separated by
// colons, or * for every directory. A file or directory at or below one
// of them is not refused for being another user's, or for a group that
// is not its owner's alone being let write it; one every user may write
// still is. It is read from the environment of the process alone, which
// the job or service that starts arsenal-run sets, never from a playbook
// or a policy: a file cannot vouch for itself. It is for a CI container
// whose workspace belongs to the runner's user (uid 1001) while the job
// runs as root.
const SafeEnv = "ARSENAL_SAFE_DIRECTORIES"

// safeEntry is the entry of $ARSENAL_SAFE_DIRECTORIES that path, absolute
// with its links resolved, is at or below ("*" for that entry); "" for
// none. An entry is compared as written and with its own links resolved;
// one not absolute is ignored (SafeProblem says so).
func safeEntry(path string) string {
	for _, e := range filepath.SplitList(os.Getenv(SafeEnv)) {
		e = strings.TrimSpace(e)
		if e == "*" {
			return e
		}
		if !filepath.IsAbs(e) {
			continue
		}
		e = filepath.Clean(e)
		if isWithin(path, e) {
			return e
		}
		if r, err := filepath.EvalSymlinks(e); err == nil && isWithin(path, r) {
			return e
		}
	}
	return ""
}

// isWithin tells whether path is dir or below it.
func isWithin(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// SafeProblem says what in $ARSENAL_SAFE_DIRECTORIES is ignored (an
// entry that is not an absolute path), with what to give instead; "" when
// nothing is.
func SafeProblem() string {
	var bad []string
	for _, e := range filepath.SplitList(os.Getenv(SafeEnv)) {
		if e = strings.TrimSpace(e); e != "" && e != "*" && !filepath.IsAbs(e) {
			bad = append(bad, fmt.Sprintf("%q", e))
		}
	}
	if len(bad) == 0 {
		return ""
	}
	verb := "are"
	if len(bad) == 1 {
		verb = "is"
	}
	return fmt.Sprintf("$%s: %s %s not an absolute path and ignored; give absolute directories separated by colons, or *",
		SafeEnv, strings.Join(bad, ", "), verb)
}

// Safe lists the entries of $ARSENAL_SAFE_DIRECTORIES that are used.
func Safe() []string {
	var out []string
	for _, e := range filepath.SplitList(os.Getenv(SafeEnv)) {
		if e = strings.TrimSpace(e); e == "*" || filepath.IsAbs(e) {
			out = append(out, e)
		}
	}
	return out
}

// realPath is path, absolute, with its links resolved: the file a check
// judges, whatever name led to it. path itself (made absolute) when it
// cannot be resolved.
func realPath(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		path = r
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// SafeUse is a check that passed only because $ARSENAL_SAFE_DIRECTORIES
// names Entry: Path is Why (like "owned by user 1001 (runner)").
type SafeUse struct {
	Entry, Path, Why string
}

var safeWatch struct {
	sync.Mutex
	next  int
	hooks map[int]*safeHook
}

type safeHook struct {
	f    func(SafeUse)
	seen map[SafeUse]bool
}

// OnSafeUse has f called, once each, for every check that passes only
// through $ARSENAL_SAFE_DIRECTORIES from now on, until stop: a daemon
// logs what it trusts so. f must not run a check itself.
func OnSafeUse(f func(SafeUse)) (stop func()) {
	safeWatch.Lock()
	defer safeWatch.Unlock()
	if safeWatch.hooks == nil {
		safeWatch.hooks = map[int]*safeHook{}
	}
	id := safeWatch.next
	safeWatch.next++
	safeWatch.hooks[id] = &safeHook{f: f, seen: map[SafeUse]bool{}}
	return func() {
		safeWatch.Lock()
		defer safeWatch.Unlock()
		delete(safeWatch.hooks, id)
	}
}

// usedSafe tells the OnSafeUse hooks that path passed, being why, only
// because entry names it.
func usedSafe(entry, path, why string) {
	u := SafeUse{Entry: entry, Path: path, Why: why}
	safeWatch.Lock()
	defer safeWatch.Unlock()
	for _, h := range safeWatch.hooks {
		if !h.seen[u] {
			h.seen[u] = true
			h.f(u)
		}
	}
}
