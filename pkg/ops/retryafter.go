package ops

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
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

// ParseRetryAfter reads a Retry-After header, delay-seconds or an HTTP date
// (RFC 9110 10.2.3), as the wait from now it asks for, at most a day; a
// date past is no wait. false when there is none or it is neither form.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 63); err == nil {
		return time.Duration(min(n, 86400)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), 24*time.Hour).Round(time.Second), true
}
