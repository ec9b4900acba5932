package plugin

import (
	"errors"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/jsoncost"
)

// holdAnswer takes room in the output memory for raw, the program's
// answer, decoded: once, and once more for its check against the output
// schema, which decodes it again. Its error says why there was none.
func (p *Plugin) holdAnswer(o *outcome, raw []byte) error {
	cost := jsoncost.Of(raw)
	if p.output != nil {
		cost *= 2
	}
	ok, err := o.held.Grow(cost)
	limit := fsx.Bytes(p.mem.Limit())
	switch {
	case errors.Is(err, ops.ErrOutputMemoryBusy):
		return ops.Errorf(ops.ClassExecution, "plugin %s printed an answer of %d bytes, which would take about %s of memory decoded, and the other steps building outputs at once "+
			"held the rest of the %s operations may hold (%s) while they waited for more too; run fewer such steps at once (concurrency), or raise the limit",
			p.m.Name, len(raw), fsx.Size(cost), limit, ops.OutputMemorySetting)
	case err != nil:
		return err
	case !ok:
		return ops.Errorf(ops.ClassExecution, "plugin %s printed an answer of %d bytes, which would take about %s of memory decoded, beside what its output holds, "+
			"more than the %s operations may hold at once (%s); have it print less, or raise the limit",
			p.m.Name, len(raw), fsx.Size(cost), limit, ops.OutputMemorySetting)
	}
	return nil
}
