package history

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestWriteToFullDiskNamesTheStateDir: a write SQLite refuses as full
// (here its max_page_count, as a full disk does) says which state dir's
// disk to free and how to keep it from filling again: the scheduler's
// log line ("the history cannot record slots") said only "database or
// disk is full (13)", naming no directory.
func TestWriteToFullDiskNamesTheStateDir(t *testing.T) {
	s := openStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The page limit is a connection's: set it on each of the pool's
	// (Open keeps four), held at once so that each is another.
	var pages int
	if err := s.db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	var conns []*sql.Conn
	for range 4 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	var slots []Slot
	for i := range 500 {
		slots = append(slots, Slot{Playbook: fmt.Sprintf("p%d", i), Path: "/srv/p.yaml", Slot: at, Outcome: SlotFired, Message: strings.Repeat("x", 200), At: at})
	}
	_, err := s.ClaimSlots(ctx, slots)
	if err == nil {
		t.Fatal("slots claimed past the database's page limit")
	}
	for _, want := range []string{"database or disk is full", "the disk of the state dir " + s.dir + " is full", "free space on it", "--keep-runs"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
