package httpreq

import (
	"context"
	"errors"
	"net/http"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// bodySize is the size of a response's body, when it is known (a
// Content-Length, the body read as it came; else 0), and the bytes its
// buffer may hold: that size up to limit, for a buffer made at once; else
// twice limit, what a buffer growing to limit holds while it copies
// itself, until the body is read and its size known. A server cannot make it hold more by lying: net/http reads no
// more than the Content-Length it gave.
func bodySize(resp *http.Response, asSent bool, limit int) (known int, held int64) {
	if asSent && resp.ContentLength >= 0 {
		n := min(resp.ContentLength, int64(limit))
		return int(n), n
	}
	return 0, 2 * int64(limit)
}

// textRoom is the most text a body of size bytes becomes: U+FFFD's three
// bytes for a lone invalid byte beside a valid one (two for two), and the
// note of a cut.
func textRoom(size int) int64 { return 2*int64(size) + 64 }

// memoryFail is the error of a step whose body's text would hold more
// than the whole of the process's output memory (err nil), or whose
// context ended while it waited for room (err its cause), or that gave
// way to other steps (ErrOutputMemoryBusy).
func (op *Request) memoryFail(ctx context.Context, err error, method, masked string, size int64) error {
	if errors.Is(err, ops.ErrOutputMemoryBusy) {
		return ops.Errorf(ops.ClassExecution, "%s %s: the body (%d bytes) was read, but its text found no room: the other steps building outputs at once held the rest of the %s operations may hold (%s) "+
			"and waited for more too; run fewer such steps at once (concurrency), or raise the limit", method, masked, size, fsx.Bytes(op.Memory.Limit()), ops.OutputMemorySetting)
	}
	if err != nil {
		return context.Cause(ctx)
	}
	return ops.Errorf(ops.ClassExecution, "%s %s: the body (%d bytes) and its text would hold more than the %s operations may hold at once (%s); "+
		"lower max_bytes, or raise the limit", method, masked, size, fsx.Bytes(op.Memory.Limit()), ops.OutputMemorySetting)
}
