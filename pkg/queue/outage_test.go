package queue

import (
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// TestDatabaseRestartIsLoggedOnce: while the database is away, the
// reaper logs the outage once and its end once, and River's reconnect
// attempts log no error line (any could page someone for an outage the
// queue rides out). They used to log two warnings at every look of the
// reaper and several River error lines a second.
func TestDatabaseRestartIsLoggedOnce(t *testing.T) {
	r := newReplicaLease(t, pgtest.DSN(t), 1, true, 3*time.Second) // a look every second
	time.Sleep(1500 * time.Millisecond)
	up, err := pgtest.Shared(t).Down()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	if err := up(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(r.logs.String(), "the database answers again") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, "the database answers again") {
		t.Errorf("no line says the database answers again")
	}
	if n := strings.Count(logs, "could not look for"); n > 0 {
		t.Errorf("%d warnings of failed looks during the outage, want none but the one of the outage:\n%s", n, logs)
	}
	// One for the outage; a pooled connection the restart cut may make
	// a look fail once more after the first that succeeded.
	if n := strings.Count(logs, "the database is unreachable"); n < 1 || n > 2 {
		t.Errorf("the outage is logged %d times, want once:\n%s", n, logs)
	}
	if strings.Contains(logs, `"level":"error"`) {
		t.Errorf("error lines for a database restart:\n%s", logs)
	}
}
