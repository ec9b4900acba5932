package engine

import (
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

const maxDuration = steps.MaxDuration

func retrySettings(delay, max time.Duration, backoff, jitter float64) *steps.Retry {
	return &steps.Retry{Attempts: 100, Delay: delay, MaxDelay: max, Backoff: backoff, Jitter: jitter}
}
