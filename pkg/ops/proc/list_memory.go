package proc

import (
	"context"
	"errors"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// entryRoom is what an entry of process.list takes beside its strings:
// a map of eight keys and their boxed values.
const entryRoom = 512

// entryCost is the bytes m, an entry of process.list, is reckoned to
// take.
func entryCost(m map[string]any) int64 {
	n := int64(entryRoom)
	for _, k := range []string{"name", "cmdline", "user", "started_at"} {
		if s, ok := m[k].(string); ok {
			n += int64(len(s))
		}
	}
	return n
}

// listHold holds the entries process.list builds in the output memory
// (ops.OutputMemory), as they are made: a host of many processes with
// long command lines (a JVM's classpath) would otherwise build tens of
// MiB beside it.
type listHold struct {
	ctx  context.Context
	hold *ops.OutputHold
	mem  *ops.OutputMemory
	n    int // entries held
}

// newListHold takes a hold in mem (nil: none) that grows as entries come.
func newListHold(ctx context.Context, mem *ops.OutputMemory) (*listHold, error) {
	h, err := mem.HoldUpTo(ctx, 0, 0, "process.list")
	if err != nil {
		return nil, err
	}
	return &listHold{ctx: ctx, hold: h, mem: mem}, nil
}

// add takes the room of m, or says why there is none.
func (l *listHold) add(m map[string]any) error {
	cost := entryCost(m)
	ok, err := l.hold.Grow(l.ctx, cost)
	switch {
	case errors.Is(err, ops.ErrOutputMemoryBusy):
		return ops.Errorf(ops.ClassExecution, "process.list: the %d processes matched so far found no room for more: the other steps building outputs at once held the rest of the %s operations may hold (%s) "+
			"and waited for more too; run fewer such steps at once (concurrency), narrow the list (name_regex, cmdline_regex, user), or raise the limit",
			l.n, fsx.Bytes(l.mem.Limit()), ops.OutputMemorySetting)
	case err != nil:
		return err
	case !ok:
		return ops.Errorf(ops.ClassExecution, "process.list: the %d processes matched so far take %s with their command lines, and the next would take more than the %s operations may hold at once (%s); "+
			"narrow the list (name_regex, cmdline_regex, user), or raise the limit",
			l.n, fsx.Size(l.hold.Held()), fsx.Bytes(l.mem.Limit()), ops.OutputMemorySetting)
	}
	l.n++
	return nil
}

// keep gives back the room of the entries past those kept.
func (l *listHold) keep(kept []map[string]any) {
	var n int64
	for _, m := range kept {
		n += entryCost(m)
	}
	l.hold.Keep(n)
}

// release gives the room back.
func (l *listHold) release() { l.hold.Release() }
