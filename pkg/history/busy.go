package history

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/arsenal-run/arsenal-run/internal/short"
)

// busyTimeout is BusyTimeout, the busy_timeout Open sets; tests shorten it.
var busyTimeout = BusyTimeout

// busyNoticeAfter is how long a write waits in silence for another
// process's write transaction: past it, the user is told whom it waits
// for. A write of another process takes milliseconds; two seconds is one
// that is stopped (Ctrl-Z, SIGSTOP), stuck or writing a great deal (a
// first migration of a long history).
var busyNoticeAfter = 2 * time.Second

// busyRecheck is how often, past busyNoticeAfter, a wait looks again for
// the holder of the write lock when it found none: one that let it go and
// took it again between two looks.
const busyRecheck = 250 * time.Millisecond

// busyWatch watches the writes of a Store, one at a time, waiting for
// SQLite's write lock; see Store.watchBusy. A Store keeps one for its
// life: its timer is made at the first write and set again at each
// (Reset), so that a write, which waits for no one nearly always, pays
// neither a timer's making nor a path's joining.
type busyWatch struct {
	db     string
	notice func(string)
	mu     sync.Mutex
	t      *time.Timer   // made by the first start
	gen    uint64        // the write watched, counted by start
	since  time.Time     // when it began
	after  time.Duration // busyNoticeAfter when it began
	limit  time.Duration // busyTimeout when it began
	done   bool
	pid    int // the holder last seen, 0 for none
	noted  bool
}

// watchBusy starts watching a write of s that may wait for another
// process's write transaction (up to busyTimeout): once it has waited
// busyNoticeAfter, s's notice says which process holds the database, and
// end turns the write's error, when SQLite gave up waiting (SQLITE_BUSY),
// into one that names that process and what to do. The holder is found
// by the lock it holds on the database's shared-memory file (see
// writeHolder): a write that is slow on its own, this process's lock, is
// never taken for a wait. It is called with s.wmu held, so that the
// Store's one watch watches one write at a time.
func (s *Store) watchBusy() *busyWatch {
	s.busy.start()
	return s.busy
}

// watchBusy is Store.watchBusy for a write on the database db before its
// Store is made (Open's migration), noticed to notice.
func watchBusy(db string, notice func(string)) *busyWatch {
	w := &busyWatch{db: db, notice: notice}
	w.start()
	return w
}

// start begins watching a write: the one before it has ended.
func (w *busyWatch) start() {
	// Under mu, which look holds to read them: a timer that fires
	// before AfterFunc has returned (a process descheduled that long)
	// found w.t not set yet.
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gen++
	w.since = time.Now()
	// Read once, here: a look runs on the timer's goroutine, which may
	// outlive the write (and a test's setting of these).
	w.after, w.limit = busyNoticeAfter, busyTimeout
	w.done, w.pid, w.noted = false, 0, false
	if w.t == nil {
		w.t = time.AfterFunc(w.after, w.look)
		return
	}
	w.t.Reset(w.after)
}

// look is the timer's: it notices the holder once, or looks again later.
func (w *busyWatch) look() {
	w.mu.Lock()
	gen := w.gen
	// A look that was under way as its write ended and the next began
	// (end's Stop comes too late for a timer that fired) is not that
	// write's: it has waited less than busyNoticeAfter, and start set
	// the timer again for it.
	early := time.Since(w.since) < w.after
	w.mu.Unlock()
	if early {
		return
	}
	pid := writeHolder(w.db)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done || w.gen != gen {
		return
	}
	if pid <= 0 || pid == os.Getpid() {
		w.t.Reset(busyRecheck)
		return
	}
	w.pid = pid
	if !w.noted && w.notice != nil {
		w.noted = true
		w.notice(busyWaiting(w.db, pid, w.limit))
	}
}

// end stops the watch and returns err, the write's, with what to do
// when SQLite gave up waiting for another process.
func (w *busyWatch) end(err error) error {
	w.mu.Lock()
	w.done = true
	w.t.Stop()
	pid, limit := w.pid, w.limit
	w.mu.Unlock()
	if !isBusy(err) {
		return err
	}
	if now := writeHolder(w.db); now > 0 && now != os.Getpid() {
		pid = now
	}
	return busyError(w.db, pid, limit, err)
}

// isBusy reports whether err is SQLite's SQLITE_BUSY: the busy timeout
// passed while another connection held the write lock.
func isBusy(err error) bool {
	if err == nil {
		return false // without errors.As's allocation, for every write
	}
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// busyHolder names the process holding the database's write lock, pid
// (0 when it could not be found).
func busyHolder(pid int) string {
	if pid <= 0 {
		return "another process"
	}
	return "pid " + strconv.Itoa(pid)
}

// busyWaiting is the notice of a write waiting for pid's write
// transaction on the history database db.
func busyWaiting(db string, pid int, timeout time.Duration) string {
	return fmt.Sprintf("waiting for %s, which is writing the history database %s and holds it meanwhile; giving up after %s; %s",
		busyHolder(pid), db, short.Duration(timeout), stuckAdvice(pid))
}

// busyError is the error of a write that waited timeout for another
// process's write transaction on db, err (SQLITE_BUSY).
func busyError(db string, pid int, timeout time.Duration, err error) error {
	return fmt.Errorf("%w: waited %s for %s, which held the history database %s for a write all that time; run again once it is done; %s",
		err, short.Duration(timeout), busyHolder(pid), db, stuckAdvice(pid))
}

// stuckAdvice says how to tell a holder that is stopped or stuck, and
// what to do with it.
func stuckAdvice(pid int) string {
	if pid <= 0 {
		return "one that holds it for seconds is stopped (Ctrl-Z) or stuck: find it with `fuser` on the database's -shm file, and resume (`kill -CONT`) or end it"
	}
	return fmt.Sprintf("one that holds it for seconds is stopped (Ctrl-Z) or stuck: `ps -o pid,stat,etime,args -p %d` shows it (T in STAT is stopped): resume it (`kill -CONT %d`) or end it", pid, pid)
}
