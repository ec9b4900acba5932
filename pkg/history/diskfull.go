package history

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// fullBelow is the free space under which a failure to open the database
// is put down to a full disk: SQLite needs a few pages for the WAL and 32
// KiB for its index to open a database at all.
const fullBelow = 1 << 20

// fullDiskError adds to err, a failure to open the database in the state
// dir dir, that dir's disk is full and what to do, when it is. SQLite
// says "disk I/O error" when it cannot grow the WAL index (history.db-shm),
// which does not tell a full disk from a failing one; the file system
// does. Every command that opens the history, `history` and `stats`
// among them, fails so until space is freed.
func fullDiskError(dir string, err error) error {
	free, ok := freeSpace(dir)
	if !ok || free >= fullBelow {
		return err
	}
	return fmt.Errorf("%w; the disk of %s is full (%d KiB free): free space on it and try again (--keep-runs or --keep-days keep the history and the reports from filling it again)", err, dir, free>>10)
}

// fullError adds to err, a write SQLite refused as the database or its
// disk is full (SQLITE_FULL), which state dir's disk to free and how to
// keep it from filling again: SQLite's "database or disk is full" names
// no directory, and a scheduler's log line of it did not say where.
func (s *Store) fullError(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_FULL {
		return err
	}
	free := ""
	if n, ok := freeSpace(s.dir); ok {
		free = fmt.Sprintf(" (%d KiB free)", n>>10)
	}
	return fmt.Errorf("%w; the disk of the state dir %s is full%s: free space on it (--keep-runs or --keep-days keep the history and the reports from filling it again)", err, s.dir, free)
}
