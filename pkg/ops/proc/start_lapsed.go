package proc

import (
	"context"
	"fmt"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

var _ ops.Lapsing = (*StartOp)(nil)

// Lapsed says whether the process a process.start step started, as its
// output out names it (pid and started_at), has ended: a resumed run then
// starts it again rather than pass on a pid that another process may
// have taken since. A process that runs under the pid with another start
// time is another process.
func (*StartOp) Lapsed(ctx context.Context, out map[string]any) string {
	pid, ok := ops.WholeNumber(out["pid"])
	started, _ := out["started_at"].(string)
	at, err := time.Parse(time.RFC3339Nano, started)
	if !ok || pid < 1 || err != nil {
		return "its output names no process it started (pid and started_at)"
	}
	ct, err := createTime(ctx, pid)
	switch {
	case err != nil:
		return fmt.Sprintf("the process it started, pid %d, has ended", pid)
	case ct != at.UnixMilli():
		return fmt.Sprintf("the process it started, pid %d, has ended, and another process has that pid now", pid)
	case zombieError(ctx, pid) != nil:
		return fmt.Sprintf("the process it started, pid %d, has exited", pid)
	}
	return ""
}
