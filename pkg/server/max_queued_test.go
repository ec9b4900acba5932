package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/queue"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// startCluster starts a private PostgreSQL for one test (this package's
// TestMain does not stop a shared one) and stops it when the test ends.
// Outside CI, a machine without PostgreSQL skips the test.
func startCluster(t *testing.T) *pgtest.Cluster {
	t.Helper()
	c, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrNotInstalled) && !ciRun() {
		t.Skipf("pgtest: %v", err)
	}
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

func ciRun() bool { return os.Getenv("CI") != "" || os.Getenv("ARSENAL_CI") != "" }

// queueServer is a test server that queues its API runs on a PostgreSQL
// store, as a `serve --state URL` replica does, with maxQueued as its
// --max-queued. The queue takes no jobs (it is not started), so that the
// runs asked for stay waiting in it.
func newQueueServer(t *testing.T, c *pgtest.Cluster, dsn string, maxQueued int) (*testServer, *postgres.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pg, err := postgres.Open(ctx, postgres.Config{URL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServerWith(t, func(rc *runs.Config) { rc.Store = pg }, func(cfg *Config) {
		pbs := cfg.State.Playbooks
		q, err := queue.New(ctx, queue.Config{Store: pg, Manager: cfg.Manager,
			Playbook: func(name string) (*steps.Playbook, bool) { return pbs.Get(name) }})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Queue, cfg.MaxQueued = q, maxQueued
	})
	return ts, pg
}

// waiting is the shared queue's depth of waiting runs.
func waiting(t *testing.T, q *queue.Queue) int {
	t.Helper()
	n, _, err := q.Depth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// --max-queued bounds the runs waiting in the shared queue: past it, a
// run asked for through any replica is 429 with Retry-After, and nothing
// is queued.
func TestMaxQueuedSharedQueue(t *testing.T) {
	c := startCluster(t)
	dsn := c.NewDatabase(t)
	a, _ := newQueueServer(t, c, dsn, 2)
	b, _ := newQueueServer(t, c, dsn, 2) // another replica on the same queue
	for range 2 {
		a.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202)
	}
	for _, ts := range []*testServer{a, b} {
		r := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{})
		e := r.wantError(t, 429, ClassRateLimited)
		if r.header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After: %v", e)
		}
	}
	if n := waiting(t, a.srv.cfg.Queue); n != 2 {
		t.Errorf("%d runs wait in the queue, want 2", n)
	}

	// Requests at once through one replica do not all pass the bound.
	dsn = c.NewDatabase(t)
	burst, _ := newQueueServer(t, c, dsn, 2)
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			status := postStatus(burst, "operator", "/api/v1/playbooks/hello/runs")
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[202] < 1 || statuses[202] > 2 || statuses[202]+statuses[429] != 20 {
		t.Errorf("20 runs at once with --max-queued 2: answers %v; want 1 or 2 × 202, the rest 429", statuses)
	}
	if n := waiting(t, burst.srv.cfg.Queue); n > 2 {
		t.Errorf("%d runs wait in the queue, past its bound of 2", n)
	}
}

// The default bound, without --max-queued, is runs.DefaultMaxQueued.
func TestMaxQueuedDefault(t *testing.T) {
	c := startCluster(t)
	ts, _ := newQueueServer(t, c, c.NewDatabase(t), 0)
	for range runs.DefaultMaxQueued {
		ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202)
	}
	ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).wantError(t, 429, ClassRateLimited)
}

// --max-queued 0 (serve passes -1): no run waits behind another. One is
// admitted while none waits, and the next refused; it refused every run.
func TestMaxQueuedZero(t *testing.T) {
	c := startCluster(t)
	ts, _ := newQueueServer(t, c, c.NewDatabase(t), -1)
	ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202)
	r := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{})
	if e := r.wantError(t, 429, ClassRateLimited); !strings.Contains(fmt.Sprint(e["message"]), "--max-queued is 0") {
		t.Errorf("the refusal: %v", e)
	}
}

// Starting a run waits at most storeWriteBound for a database that does
// not answer, then answers 503 with Retry-After: here the queue's table
// is locked by another session, so that its statements hang as they do
// on a connection that a network partition cut.
func TestQueuedStartBounded(t *testing.T) {
	c := startCluster(t)
	dsn := c.NewDatabase(t)
	ts, pg := newQueueServer(t, c, dsn, 0)
	ts.client.Timeout = 20 * time.Second
	ctx := context.Background()
	tx, err := pg.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE river_job IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	r := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{})
	took := time.Since(began)
	e := r.wantError(t, 503, ClassUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Errorf("503 without Retry-After: %v", e)
	}
	if took < storeWriteBound-100*time.Millisecond || took > storeWriteBound+3*time.Second {
		t.Errorf("answered after %s; want about %s", took, storeWriteBound)
	}
	tx.Rollback(ctx)
	ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202)
}

// postStatus posts an empty run request and returns the answer's status,
// or -1 when there is none: it may be called from any goroutine.
func postStatus(ts *testServer, key, path string) int {
	req, err := http.NewRequest("POST", ts.url+path, strings.NewReader("{}"))
	if err != nil {
		return -1
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+ts.keys[key])
	res, err := ts.client.Do(req)
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode
}
