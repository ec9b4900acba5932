package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// lapseCheck bounds how long an operation may take to tell whether what
// a step's output stands for is still there.
const lapseCheck = 5 * time.Second

// unlapsed returns s, the recorded step n would reuse, unless n's
// operation finds that what its output stands for has ended since (see
// ops.Lapsing): a process.start whose process exited would otherwise
// hand its pid, which another process may have taken by now, to the
// steps after it, and the process the playbook needs would not run. The
// step then runs again, as in a fresh run, and its record says why.
func (r *run) unlapsed(n *node, s *report.Step, rec *record) *report.Step {
	var l ops.Lapsing
	out, isMap := s.Output.(map[string]any)
	if !isMap || !n.step.Entry.As(&l) {
		return s
	}
	ctx, cancel := context.WithTimeout(context.Background(), lapseCheck)
	defer cancel()
	if why := l.Lapsed(ctx, out); why != "" {
		rec.reason = fmt.Sprintf("ran again: %s since run %s", why, r.o.resume.RunID)
		return nil
	}
	return s
}
