package cluster

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// maxBody is the most of a node's answer a probe reads: far more than an
// arsenal-run server's /healthz.
const maxBody = 64 << 10

// drainRoom is the buffer cluster.health reads a node's answer through,
// not keeping it, so that the connection serves the next probe.
const drainRoom = 8 << 10

// bodyRoom is what a probe of a url node holds of the output memory
// (ops.OutputMemory) while it reads the node's answer: for
// cluster.topology, the answer and what decoding its JSON copies of it
// (a string unquoted into a buffer, then made a string); for
// cluster.health, the buffer it drains the answer through.
func bodyRoom(readInfo bool) int64 {
	if readInfo {
		return 3 * maxBody
	}
	return drainRoom
}

// holdBody takes room in mem for the probe of the url node n, waiting in
// turn with the other probes and steps while the pool has none: a
// topology of thousands of nodes at concurrency 256 holds no more than
// the pool gives. A pool too small for one probe fails the step, naming
// the node and the limit to raise. A nil mem holds nothing.
func holdBody(ctx context.Context, mem *ops.OutputMemory, n *Node, readInfo bool) (*ops.OutputHold, error) {
	op := "cluster.health"
	if readInfo {
		op = "cluster.topology"
	}
	need := bodyRoom(readInfo)
	if mem != nil && need > mem.Limit() {
		return nil, ops.Errorf(ops.ClassExecution, "node %s: %s's probe would hold %s while it reads the node's answer, more than the %s the process lets operations hold at once; raise the limit (%s)",
			n.Name, op, fsx.Size(need), fsx.Bytes(mem.Limit()), ops.OutputMemorySetting)
	}
	h, err := mem.HoldUpToFor(ctx, need, need, func() string { return fmt.Sprintf("%s's probe of node %s", op, n.Name) })
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", n.Name, err)
	}
	return h, nil
}

// onceMessage returns ctx whose call says its first message only: the
// probes of a step that wait for memory say so once, not once each.
func onceMessage(ctx context.Context) context.Context {
	call := ops.CallFrom(ctx)
	if call.Message == nil {
		return ctx
	}
	c := *call
	var once sync.Once
	c.Message = func(level, text string) { once.Do(func() { call.Message(level, text) }) }
	return ops.WithCall(ctx, &c)
}

// readBody reads the start of a node's answer, maxBody bytes at most, in
// one array of its size when the node says it (Content-Length).
func readBody(body io.Reader, length int64) ([]byte, error) {
	size := int64(maxBody)
	if length >= 0 && length < size {
		size = length
	}
	b := make([]byte, size)
	n := 0
	for n < len(b) {
		k, err := body.Read(b[n:])
		n += k
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err // an answer cut short, as io.ReadAll says it
		}
	}
	return b[:n], nil
}

// drain reads the start of a node's answer, maxBody bytes at most,
// through a buffer of drainRoom, keeping none of it: the connection is
// then kept for the next probe.
func drain(body io.Reader) error {
	buf := make([]byte, drainRoom)
	// Not io.Discard's ReadFrom, which reads through a buffer of its own.
	_, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, io.LimitReader(body, maxBody), buf)
	return err
}
