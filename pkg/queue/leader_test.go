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

// TestLeaderInHealthOnceItSchedules: a replica that took the scheduler
// lock but whose scheduler still loads its playbooks fires nothing yet:
// /healthz says leader: false (and leader_lock: true) until the scheduler
// says it fires, and false again once the leadership ends.
func TestLeaderInHealthOnceItSchedules(t *testing.T) {
	dsn := pgtest.DSN(t)
	r := newReplica(t, dsn, 1, false)
	ctx, cancel := context.WithCancel(context.Background())
	loading, loaded, seen := make(chan struct{}), make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.q.leadAt(ctx, dsn, time.Hour, func(lctx context.Context) error {
			close(loading)
			<-loaded
			r.q.Schedules()
			close(seen)
			<-lctx.Done()
			return nil
		})
	}()
	health := func() map[string]any {
		h, err := r.q.Health(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	<-loading
	if h := health(); h["leader"] != false || h["leader_lock"] != true {
		t.Errorf("while its scheduler loads: leader %v, leader_lock %v; want false, true", h["leader"], h["leader_lock"])
	}
	close(loaded)
	<-seen
	if h := health(); h["leader"] != true || h["leader_lock"] != true {
		t.Errorf("once its scheduler fires: leader %v, leader_lock %v; want true, true", h["leader"], h["leader_lock"])
	}
	cancel()
	<-done
	if h := health(); h["leader"] != false || h["leader_lock"] != false {
		t.Errorf("after the leadership: leader %v, leader_lock %v; want false, false", h["leader"], h["leader_lock"])
	}
}
