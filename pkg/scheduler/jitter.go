package scheduler

import (
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// JitterProblem says why sc's jitter cannot work with its cron spec, or ""
// (see steps.JitterProblem, which validation reports at the jitter key):
// Load refuses such a playbook too, however it was built.
func JitterProblem(sc *steps.Schedule, now time.Time) string {
	return steps.JitterProblem(sc, now)
}
