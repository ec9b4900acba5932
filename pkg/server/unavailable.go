package server

import (
	"net/http"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// storeRetryAfter is the Retry-After of an answer that the database's
// outage made fail: about how long a restart or a failover takes.
const storeRetryAfter = 5 * time.Second

// unavailable is a 503 that tells the client when to try again.
func unavailable(after time.Duration, format string, args ...any) *apiError {
	e := errorf(http.StatusServiceUnavailable, ClassUnavailable, format, args...)
	e.RetryAfter = after
	return e
}

// storeError answers an error of the shared store: 503 (class
// unavailable, with Retry-After) when the database could not be reached,
// which a client may try again; 500 otherwise.
func storeError(err error) *apiError {
	if postgres.Unreachable(err) {
		return unavailable(storeRetryAfter, "the database is unreachable; try again shortly: %v", err)
	}
	return errorf(http.StatusInternalServerError, ClassInternal, "%v", err)
}
