package ops

import (
	"errors"
	"time"
)

// RetryAfterError is a failure whose far side asked for a wait before the
// next try, such as an HTTP 429 or 503 with Retry-After. A step's retry
// waits at least After before its next attempt (up to its max_delay).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns the wait asked for by err's far side, if it asked.
func RetryAfter(err error) (time.Duration, bool) {
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return ra.After, true
	}
	return 0, false
}
