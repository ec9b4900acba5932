// Package outhold holds the stdout and stderr a step captures from a
// process (shell.exec, ssh.exec, a plugin) in the process's output memory
// (ops.OutputMemory), as they come.
package outhold

import (
	"context"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/capture"
)

// Streams is one step's hold on the output memory for its captured
// streams. Its methods are safe for concurrent use (the two streams are
// read at once).
type Streams struct {
	ctx  context.Context
	hold *ops.OutputHold
}

// Claim is the most two streams of limit bytes each are reckoned to take
// while they are captured and turned into text: each stream's buffers
// (limit), and its text (up to twice the limit, a note of the cut beside
// it: see Text).
func Claim(limit int) int64 { return 2 * (3*int64(limit) + noteRoom) }

// noteRoom is room for the note of a cut.
const noteRoom = 64

// perByte is what a byte a buffer keeps is reckoned to take: itself,
// and twice itself for its text, the most its text takes when the pool
// cannot give more (see Text). It is taken with the byte, so that the
// text of valid UTF-8 never has to wait for room, and no text is refused
// it.
const perByte = 3

// Hold takes room in mem for the two streams of what (made only when
// said, see ops.OutputMemory.HoldUpToFor), of limit bytes each:
// nothing at first, up to Claim(limit), or all of mem when that is more
// (a max_output of 64 MiB; its bytes are then taken as they come, waiting
// past the claim until the pool can give them). It waits in turn with the
// other steps while the pool cannot keep that room, and returns the
// context's cause when ctx ends first. A nil mem holds nothing.
func Hold(ctx context.Context, mem *ops.OutputMemory, limit int, what func() string) (*Streams, error) {
	h, err := mem.HoldUpToFor(ctx, 0, min(Claim(limit), mem.Limit()), what)
	if err != nil {
		return nil, err
	}
	return &Streams{ctx: ctx, hold: h}, nil
}

// Buffer returns a capture.Buffer of limit bytes whose buffers take their
// room from s before they grow: a process writing more waits, its pipe
// full, while the pool has none. When the pool refuses the room, the
// buffer keeps what it has and drops the rest, counted as a cut of
// max_output is (capture.Buffer.TakeFrom).
func (s *Streams) Buffer(limit int) *capture.Buffer {
	b := capture.NewBuffer(limit)
	b.TakeFrom(&room{s: s})
	return b
}

// Text returns b's text (capture.Buffer.Text), made from its parts in
// one string of its exact length, no joined copy (capture.TextOf). Its
// room was taken with b's bytes, twice each and a note (perByte): the
// text of valid UTF-8 takes one. Each invalid byte's U+FFFD takes three:
// a text past its room takes the rest from the pool first, waiting as
// Take does; when the pool cannot give it, each run of invalid bytes
// becomes one U+FFFD, a text that fits.
func (s *Streams) Text(b *capture.Buffer) string {
	parts := b.Parts()
	need := int64(capture.TextLen(parts, false))
	if len(parts) == 3 {
		need += int64(len(parts[1])) // the note, made by Parts
	}
	room := int64(0)
	if held := b.Held(); held > 0 {
		room = (perByte-1)*int64(held) + noteRoom
	}
	runs := false
	if need > room {
		ok, _ := s.hold.Grow(s.ctx, need-room)
		runs = !ok
	}
	return capture.TextOf(parts, runs)
}

// Release gives the room back.
func (s *Streams) Release() {
	if s != nil {
		s.hold.Release()
	}
}

// room is one buffer's capture.Room in s.
type room struct {
	s    *Streams
	note bool // the room of the note of its cut is taken
}

// Take waits for the room of n bytes more in the buffer, their text
// included, and the note of a cut with the first. It returns false,
// holding nothing more, when the step ends while it waits, or when the
// pool asks it to give way (ops.ErrOutputMemoryBusy: a max_output past
// the claim, every other step waiting too) or cannot hold that much at
// all: the buffer then keeps no more, and what comes past it is dropped
// and said to be, as a cut at max_output is. Keeping the bytes all the
// same would pass the limit the pool is there to keep.
func (r *room) Take(n int) bool {
	more := perByte * int64(n)
	if !r.note {
		more += noteRoom
	}
	ok, _ := r.s.hold.Grow(r.s.ctx, more)
	r.note = r.note || ok
	return ok
}

// Grow takes n bytes more for what the step makes of its streams (a
// plugin's answer decoded), waiting as Take does: false when the pool
// cannot hold that much at all, with ops.ErrOutputMemoryBusy when it
// asked the step to give way, the context's cause when the step ended
// while it waited.
func (s *Streams) Grow(n int64) (bool, error) { return s.hold.Grow(s.ctx, n) }
