package runs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
)

// defaultLockDir is where groups are kept without a state dir: in
// arsenal-run's private runtime directory under the temporary directory
// (fsroot.PrivateBase), which no file operation touches. The temporary
// directory is a file root of every role that sets none, and a step's
// file.write of a cancel request there would stop another run. It is
// also shared with every other user, who may make the name first:
// enqueue checks the base (fsroot.MakePrivateBase) and the directory
// (secureLockDir) before it trusts anything in it.
func defaultLockDir() string {
	return filepath.Join(fsroot.PrivateBase(), "groups")
}

// fileGroups keeps concurrency groups in lock files, one directory per
// group (named by a hash of it) holding:
//
//	lock                the holder holds an flock on it while it runs
//	q-NANOS-RUN         a ticket per run in line, flocked by its run, so
//	                    that the ticket of a process that died is seen dead
//	cancel-RUN          a request that RUN stop, naming who asks
//
// The kernel drops a process's flocks when it ends however it ends, so a
// crash never holds a group.
//
// Whoever may write these directories may cancel, block or redirect the
// runs that use them, so both the base directory and each group's must
// be this user's and writable by no one else (secureLockDir), and every
// file in them is opened without following a symlink (oNoFollow).
type fileGroups struct {
	dir     string
	private bool // dir is defaultLockDir, in the private runtime directory
}

// The lock files are this OS user's alone, so every run in them is the
// user's own: who is not kept.
func (g fileGroups) enqueue(group, run, _ string) (groupTicket, error) {
	sum := sha256.Sum256([]byte(group))
	dir := filepath.Join(g.dir, hex.EncodeToString(sum[:16]))
	// The base's parents are the temporary directory, or the ones the
	// configuration names; only the directories that hold the locks are
	// checked.
	if err := g.makeBase(); err != nil {
		return nil, fmt.Errorf("concurrency group lock directory %s: %w; give --state-dir", g.dir, err)
	}
	if err := secureLockDir(g.dir); err != nil {
		return nil, err
	}
	if err := secureLockDir(dir); err != nil {
		return nil, err
	}
	// The ticket is locked under another name first: a ticket in line
	// that is not locked is taken for the ticket of a dead process.
	name := fmt.Sprintf("q-%020d-%s", time.Now().UnixNano(), run)
	f, err := tryLock(filepath.Join(dir, "new-"+run))
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	if err := os.Rename(filepath.Join(dir, "new-"+run), filepath.Join(dir, name)); err != nil {
		unlock(f)
		return nil, fmt.Errorf("lock file: %w", err)
	}
	return &fileTicket{dir: dir, name: name, run: run, ticket: f}, nil
}

// makeBase makes the directory that holds the lock dir: the private
// runtime directory, checked as such, or the configured dir's parent.
func (g fileGroups) makeBase() error {
	if g.private {
		_, err := fsroot.MakePrivateBase()
		return err
	}
	return os.MkdirAll(filepath.Dir(g.dir), 0o700)
}

type fileTicket struct {
	dir, name, run string
	ticket         *os.File
	mu             sync.Mutex
	lock           *os.File // the group's lock, while held
}

// line returns the live tickets in order, dropping dead ones.
func (t *fileTicket) line() ([]string, error) {
	entries, err := os.ReadDir(t.dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "q-") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	live := names[:0]
	for _, n := range names {
		if n != t.name && !lockHeld(filepath.Join(t.dir, n)) {
			os.Remove(filepath.Join(t.dir, n))
			os.Remove(filepath.Join(t.dir, "cancel-"+ticketRun(n)))
			continue
		}
		live = append(live, n)
	}
	return live, nil
}

func ticketRun(name string) string {
	parts := strings.SplitN(name, "-", 3)
	if len(parts) < 3 {
		return name
	}
	return parts[2]
}

func (t *fileTicket) try() (bool, []string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lock != nil {
		return true, nil, nil
	}
	line, err := t.line()
	if err != nil {
		return false, nil, err
	}
	var ahead []string
	for _, n := range line {
		if n == t.name {
			break
		}
		ahead = append(ahead, ticketRun(n))
	}
	if len(ahead) > 0 {
		return false, ahead, nil
	}
	f, err := tryLock(filepath.Join(t.dir, "lock"))
	if errors.Is(err, errLocked) {
		// A holder whose ticket was removed under it still holds the
		// lock; wait for it like for any holder.
		return false, []string{"(unknown)"}, nil
	}
	if err != nil {
		return false, nil, err
	}
	t.lock = f
	return true, nil, nil
}

func (t *fileTicket) requestCancel(runs []string) error {
	line, err := t.line()
	if err != nil {
		return err
	}
	for _, n := range line {
		if n == t.name || !slices.Contains(runs, ticketRun(n)) {
			continue
		}
		f, err := os.OpenFile(filepath.Join(t.dir, "cancel-"+ticketRun(n)), os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue // asked already
		}
		if err != nil {
			return err
		}
		_, err = f.WriteString(t.run)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *fileTicket) cancelledBy() (string, error) {
	f, err := os.OpenFile(filepath.Join(t.dir, "cancel-"+t.run), os.O_RDONLY|oNoFollow, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	// A run id is short: a request is read up to a bound, whatever was
	// written there.
	b, err := io.ReadAll(io.LimitReader(f, 256))
	f.Close()
	if err != nil {
		return "", err
	}
	if len(b) == 0 {
		return "(another run)", nil
	}
	return string(b), nil
}

func (t *fileTicket) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	os.Remove(filepath.Join(t.dir, "cancel-"+t.run))
	os.Remove(filepath.Join(t.dir, t.name))
	unlock(t.ticket)
	if t.lock != nil {
		unlock(t.lock)
		t.lock = nil
	}
}
