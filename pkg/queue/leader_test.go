package queue

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// TestTryingForTheLeadershipWaitsInTheLog: a replica whose database
// accepts connections and never answers waits on each try for the
// leadership; that wait is a line of serve's log, with its level and
// component, not a bare line on stderr outside the JSON log.
func TestTryingForTheLeadershipWaitsInTheLog(t *testing.T) {
	addr, _ := pgtest.Silent(t) // takes connections, and never answers

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	defer func() { os.Stderr = stderr }()

	var log lockedBuffer
	q := &Queue{log: zerolog.New(&log).Level(zerolog.DebugLevel).With().Str("component", "queue").Logger()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	url := "postgres://u@" + addr + "/db?sslmode=disable"
	go func() {
		defer close(done)
		q.leadAt(ctx, url, time.Hour, func(context.Context) error {
			t.Error("a database that never answers gave the leadership")
			return nil
		})
	}()
	// The wait is told after 2s, in the log or bare; give it ample time.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(log.String(), "waiting for the PostgreSQL server") {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	os.Stderr = stderr
	w.Close()
	bare, _ := io.ReadAll(r)
	if len(bare) > 0 {
		t.Errorf("bare lines on stderr, outside the log:\n%s", bare)
	}
	want := `"component":"queue","message":"trying for the leadership: waiting for the PostgreSQL server at ` + addr
	if !strings.Contains(log.String(), want) {
		t.Errorf("the wait is not in the log as %s…:\n%s", want, log.String())
	}
}
