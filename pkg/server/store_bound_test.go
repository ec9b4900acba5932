package server

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// silentStore is a store that a network partition cut off: while silent,
// the calls a request handler makes hang until their context ends, as a
// query on a connection whose packets are dropped does (connections
// neither answer nor close). Otherwise it is the store it embeds.
type silentStore struct {
	store.Store
	silent atomic.Bool
}

// hang waits, while the store is silent, for ctx to end; it reports
// whether it did.
func (s *silentStore) hang(ctx context.Context) (error, bool) {
	if !s.silent.Load() {
		return nil, false
	}
	<-ctx.Done()
	return ctx.Err(), true
}

func (s *silentStore) List(ctx context.Context, f history.Filter) ([]history.Run, error) {
	if err, hung := s.hang(ctx); hung {
		return nil, err
	}
	return s.Store.List(ctx, f)
}

func (s *silentStore) Get(ctx context.Context, id string) (history.Run, error) {
	if err, hung := s.hang(ctx); hung {
		return history.Run{}, err
	}
	return s.Store.Get(ctx, id)
}

func (s *silentStore) ReadReport(ctx context.Context, id string) ([]byte, error) {
	if err, hung := s.hang(ctx); hung {
		return nil, err
	}
	return s.Store.ReadReport(ctx, id)
}

func (s *silentStore) Pauses(ctx context.Context) (map[string]history.Pause, error) {
	if err, hung := s.hang(ctx); hung {
		return nil, err
	}
	return s.Store.Pauses(ctx)
}

func (s *silentStore) PauseSchedule(ctx context.Context, p history.Pause) (history.Pause, bool, error) {
	if err, hung := s.hang(ctx); hung {
		return history.Pause{}, false, err
	}
	return s.Store.PauseSchedule(ctx, p)
}

// newSilentServer is a test server over a silentStore on its state dir.
func newSilentServer(t *testing.T) (*testServer, *silentStore) {
	t.Helper()
	var st *silentStore
	ts := newTestServerWith(t, func(c *runs.Config) {
		h, err := history.Open(c.StateDir)
		if err != nil {
			t.Fatal(err)
		}
		st = &silentStore{Store: h}
		c.Store = st
	})
	// Unbounded, a request on a silent store never ends: fail then,
	// well before the test's own timeout.
	ts.client.Timeout = 20 * time.Second
	return ts, st
}

// A store that does not answer (a replica cut off from its database by
// a partition) makes the requests that need it answer 503 unavailable
// with Retry-After once their call's bound is over, as when the database
// refuses connections, instead of hanging for as long as the connection
// does.
func TestSilentStoreAnswers503(t *testing.T) {
	ts, st := newSilentServer(t)
	st.silent.Store(true)
	t.Run("silent", func(t *testing.T) { silentRequests(t, ts) })
	// Once the store answers again, so do the requests.
	st.silent.Store(false)
	ts.get("viewer", "/api/v1/runs").want(t, 200)
	ts.get("viewer", "/api/v1/schedules").want(t, 200)
	ts.get("viewer", "/api/v1/runs/20200101-000000-gone").wantError(t, 404, ClassNotFound)
}

// silentRequests sends, at once, requests that each need a store call
// that hangs.
func silentRequests(t *testing.T, ts *testServer) {
	for _, c := range []struct {
		method, path string
		bound        time.Duration
	}{
		{"GET", "/api/v1/runs", storeReadBound},
		{"GET", "/api/v1/runs?playbook=hello&limit=5", storeReadBound},
		{"GET", "/api/v1/runs/20200101-000000-gone", storeReadBound},
		{"GET", "/api/v1/runs/20200101-000000-gone/timeline.svg", storeReadBound},
		{"GET", "/api/v1/runs/20200101-000000-gone/events", storeReadBound},
		{"POST", "/api/v1/runs/20200101-000000-gone/cancel", storeReadBound},
		{"GET", "/api/v1/runs/20200101-000000-gone/questions", storeReadBound},
		{"GET", "/api/v1/schedules", storeReadBound},
		{"POST", "/api/v1/schedules/nightly/pause", storeWriteBound},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			t.Parallel()
			began := time.Now()
			sub := *ts // fails this subtest, not the parent
			sub.t = t
			r := sub.do(request{method: c.method, path: c.path, key: "admin"})
			took := time.Since(began)
			e := r.wantError(t, 503, ClassUnavailable)
			if r.header.Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After: %v", e)
			}
			// A database that was reached and kept silent is not one
			// that refused the connection: the person on call looks
			// for a slow query or a partition, not a stopped server.
			msg, _ := e["message"].(string)
			if !strings.Contains(msg, "timed out waiting for the database") || !strings.Contains(msg, "within "+short.Duration(c.bound)) ||
				strings.Contains(msg, "unreachable") || !strings.Contains(msg, "pg_stat_activity") {
				t.Errorf("message %q; want it to say the database did not answer within %s, and where to look", msg, short.Duration(c.bound))
			}
			// Generous: the bound, and time for a loaded machine.
			if took < c.bound-100*time.Millisecond || took > c.bound+3*time.Second {
				t.Errorf("answered after %s; want about %s, the bound of its store call", took, c.bound)
			}
		})
	}
}

// A client that goes away ends the store call of its request at once: it
// is not held for the bound, and its end is not taken for the database's
// silence.
func TestSilentStoreClientGone(t *testing.T) {
	ts, st := newSilentServer(t)
	st.silent.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", ts.url+"/api/v1/runs", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ts.keys["viewer"])
	if res, err := ts.client.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("answered %d before the client went away", res.StatusCode)
	}
	// The handler ended with the request: a listing goes on at once
	// once the store answers.
	st.silent.Store(false)
	ts.get("viewer", "/api/v1/runs").want(t, 200)
}

// noAnswer marks an error as the database's silence only when the bound
// ended the call, not when its caller's context did.
func TestNoAnswerOnlyForTheBound(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.Background())
	ctx, cancel := storeBound(parent, time.Hour)
	defer cancel()
	cancelParent()
	<-ctx.Done()
	if err := noAnswer(ctx, ctx.Err()); unreachable(err) {
		t.Errorf("a call its caller cancelled is marked unreachable: %v", err)
	}
	ctx, cancel = storeBound(context.Background(), time.Millisecond)
	defer cancel()
	<-ctx.Done()
	err := noAnswer(ctx, ctx.Err())
	if !unreachable(err) || storeError(err).Status != 503 {
		t.Errorf("a call its bound ended is not 503: %v", err)
	}
}
