package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// storeRetryAfter is the Retry-After of an answer that the database's
// outage made fail: about how long a restart or a failover takes.
const storeRetryAfter = 5 * time.Second

// Bounds of a request's calls to the shared store. A database that
// refuses connections fails a call at once, but one cut off by a network
// partition lets it hang (connections neither answer nor close) until the
// kernel gives up, minutes later; without a bound, such a request would
// never be answered. storeReadBound bounds each read; storeWriteBound
// bounds each write, and the admission of a run as a whole (the queue's
// depth and its insert, tried again while the database is away): the 5 s
// that docs/ha.md promises a restart.
const (
	storeReadBound  = 3 * time.Second
	storeWriteBound = 5 * time.Second
)

// errNoAnswer is the cause of a store call that its bound ended (a
// noAnswerError is it).
var errNoAnswer = errors.New("the database did not answer in time")

// noAnswerError is errNoAnswer with the bound that ended the call.
type noAnswerError struct{ bound time.Duration }

func (e noAnswerError) Error() string {
	return fmt.Sprintf("the database did not answer within %s", short.Duration(e.bound))
}

func (e noAnswerError) Is(target error) bool { return target == errNoAnswer }

// storeBound bounds one store call (or, for a run's admission, the few
// calls of one step) of a request under ctx by d.
func storeBound(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, noAnswerError{d})
}

// noAnswer marks err, of a call made under ctx (from storeBound), as the
// database's silence when the bound ended the call, so that storeError
// answers 503. A call that the client's going away ended is not marked:
// nobody waits for its answer.
func noAnswer(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); err != nil && !errors.Is(err, errNoAnswer) && errors.Is(cause, errNoAnswer) {
		return fmt.Errorf("%w: %w", cause, err)
	}
	return err
}

// within runs f, a store call, bounded by d under ctx (see storeBound and
// noAnswer).
func within[T any](ctx context.Context, d time.Duration, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := storeBound(ctx, d)
	defer cancel()
	v, err := f(ctx)
	return v, noAnswer(ctx, err)
}

// unavailable is a 503 that tells the client when to try again.
func unavailable(after time.Duration, format string, args ...any) *apiError {
	e := errorf(http.StatusServiceUnavailable, ClassUnavailable, format, args...)
	e.RetryAfter = after
	return e
}

// storeError answers an error of the shared store: 503 (class
// unavailable, with Retry-After) when the database could not be reached,
// or did not answer within the call's bound, which a client may try
// again; 500 otherwise.
func storeError(err error) *apiError {
	if unreachable(err) {
		return unavailable(storeRetryAfter, "%s", storeTrouble(err))
	}
	return errorf(http.StatusInternalServerError, ClassInternal, "%v", err)
}

// storeTrouble says what happened to a store call that unreachable
// reports: a database that refused or dropped the connection is not one
// that was reached and kept silent (overloaded, a slow query, a
// partition), and the person on call looks for either in other places.
func storeTrouble(err error) string {
	if !errors.Is(err, errNoAnswer) {
		return fmt.Sprintf("the database is unreachable; try again shortly: %v", err)
	}
	return fmt.Sprintf("timed out waiting for the database: %v; it may be overloaded or busy with slow queries, or the network to it is cut: try again shortly, and if this goes on, check the database's load and its long queries (pg_stat_activity) and the network between this server and it", err)
}

// unreachable reports whether err is the database away or silent, as
// storeError answers 503 for.
func unreachable(err error) bool {
	return errors.Is(err, errNoAnswer) || postgres.Unreachable(err)
}
