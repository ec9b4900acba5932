// Package capture keeps the output of processes and bodies of responses
// within a size limit, and turns raw bytes into text that is safe to put in a
// JSON report or print on a terminal.
package capture

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/arsenal-run/arsenal-run/internal/redact"
)

// DefaultLimit is the number of bytes a Buffer keeps when its limit is 0.
const DefaultLimit = 1 << 20

// minHead is the least room a Buffer taking from a Room makes for its
// head: a line of output in one array, without a Take for every few
// bytes.
const minHead = 512

// Buffer is an io.Writer that keeps everything written to it up to Limit
// bytes; beyond that it keeps the first half and the last half of the limit
// and counts the bytes dropped in between. It is not safe for concurrent use.
type Buffer struct {
	limit   int
	head    []byte // everything, until the limit is reached; then the first half
	tail    []byte // ring of the most recent bytes, once the limit is reached
	pos     int    // next write position in tail
	full    bool   // tail has wrapped
	dropped int64
	secrets []string // see Guard
	room    Room     // see TakeFrom
}

// Room is a pool of memory that may make its taker wait
// (ops.OutputMemory): Take returns once n bytes more are the taker's, or
// false when the pool refuses them (the step ended while it waited, or
// the pool had to be kept).
type Room interface{ Take(n int) bool }

// TakeFrom makes b take from r the bytes its buffers are about to take
// more, before it takes them. Its head then grows by doubling, never
// past the limit, and once cut its tail is the second half of the head's
// array: b's buffers take the limit at most. When r refuses, b keeps no
// more than the bytes it has: its limit becomes what its head's array
// holds, and what comes past it is dropped and counted, as past the
// limit (Truncated, the note of Bytes).
func (b *Buffer) TakeFrom(r Room) { b.room = r }

// NewBuffer returns a Buffer that keeps at most limit bytes (DefaultLimit
// when limit <= 0).
func NewBuffer(limit int) *Buffer {
	if limit <= 0 {
		limit = DefaultLimit
	}
	if limit < 2 {
		limit = 2
	}
	return &Buffer{limit: limit}
}

// Guard names the secrets a run masks in what b keeps. Masking comes after
// b, so a secret that crossed either edge of the dropped bytes would be
// left as a head and a tail it no longer finds, together the whole
// secret: Bytes leaves such pieces out, counted as dropped.
func (b *Buffer) Guard(secrets []string) { b.secrets = secrets }

// Write keeps p within the limit; it never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	n := len(p)
	if b.tail == nil {
		if len(b.head)+len(p) <= b.limit {
			if b.room != nil && len(b.head)+len(p) > cap(b.head) && !b.growHead(len(b.head)+len(p)) {
				return b.Write(p) // within the limit the room refusal left
			}
			b.head = append(b.head, p...)
			return n, nil
		}
		if b.room != nil && cap(b.head) < b.limit && !b.growHead(b.limit) {
			return b.Write(p)
		}
		// Overflow: the first half stays as the head, the rest of what was
		// kept becomes the start of the tail.
		half := b.limit / 2
		if k := half - len(b.head); k > 0 {
			b.head = append(b.head, p[:k]...)
			p = p[k:]
		}
		rest := b.head[half:]
		if cap(b.head) >= b.limit {
			// The tail is the rest of the head's array, which holds
			// the limit: no room more, nor a copy (rest is already
			// where the ring starts).
			b.tail = b.head[half:b.limit:b.limit]
		} else {
			b.tail = make([]byte, b.limit-half)
		}
		b.head = b.head[:half:half]
		b.ringWrite(rest)
	}
	b.ringWrite(p)
	return n, nil
}

// growHead makes room in head for want bytes, by doubling up to the
// limit, after taking what the new array takes more from b.room. When
// the room refuses, the limit becomes the head's array (see TakeFrom),
// and it returns false.
func (b *Buffer) growHead(want int) bool {
	c := min(max(2*cap(b.head), want, minHead), b.limit)
	if !b.room.Take(c - cap(b.head)) {
		b.starve()
		return false
	}
	head := make([]byte, len(b.head), c)
	copy(head, b.head)
	b.head = head
	return true
}

// starve makes b keep no more than its head's array holds: what comes
// past it is dropped, counted. An array too small to hold a head and a
// tail keeps nothing more; the bytes it has become the head.
func (b *Buffer) starve() {
	b.room = nil
	if c := cap(b.head); c >= 2 {
		b.limit = c
		return
	}
	b.limit = max(len(b.head), 1)
	b.tail = []byte{} // a ring of no bytes: all that comes is dropped
}

func (b *Buffer) ringWrite(p []byte) {
	size := len(b.tail)
	kept := b.pos
	if b.full {
		kept = size
	}
	if len(p) >= size {
		b.dropped += int64(kept + len(p) - size)
		copy(b.tail, p[len(p)-size:])
		b.pos, b.full = 0, true
		return
	}
	if over := kept + len(p) - size; over > 0 {
		b.dropped += int64(over)
	}
	c := copy(b.tail[b.pos:], p)
	if c < len(p) {
		copy(b.tail, p[c:])
		b.pos = len(p) - c
		b.full = true
	} else {
		b.pos += c
		if b.pos == size {
			b.pos, b.full = 0, true
		}
	}
}

// Truncated reports whether bytes were dropped.
func (b *Buffer) Truncated() bool { return b.dropped > 0 }

// Dropped returns the number of bytes dropped.
func (b *Buffer) Dropped() int64 { return b.dropped }

// Bytes returns what was kept: all of it, or the head, a line saying how many
// bytes were dropped, and the tail.
func (b *Buffer) Bytes() []byte {
	parts := b.Parts()
	if len(parts) == 1 {
		return parts[0]
	}
	out := make([]byte, 0, Len(parts))
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Join returns head, a line saying how many bytes were dropped after it,
// and tail: what is kept of a stream too long to keep whole. Pieces of the
// secrets at either edge of the dropped bytes are dropped too (see Guard),
// and so are the pieces of a UTF-8 character the cut went through, which
// would show as U+FFFD beside the note.
func Join(head, tail []byte, dropped int64, secrets []string) []byte {
	parts := Cut(head, tail, dropped, secrets)
	out := make([]byte, 0, Len(parts))
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Cut returns what Join joins, as the parts head, the note and tail,
// without copying them: for a caller that encodes them straight into its
// output (see Base64 and ValidText).
func Cut(head, tail []byte, dropped int64, secrets []string) [][]byte {
	if dropped > 0 && len(secrets) > 0 {
		h, t := redact.New(secrets...).Pieces(head, tail)
		head, tail = head[:len(head)-h], tail[t:]
		dropped += int64(h + t)
	}
	if dropped > 0 {
		h, t := runePieces(head, tail)
		head, tail = head[:len(head)-h], tail[t:]
		dropped += int64(h + t)
	}
	if dropped == 0 {
		// One part, so that a character or a run of invalid bytes across
		// the two is read as one, as Join made it.
		return [][]byte{append(head[:len(head):len(head)], tail...)}
	}
	return [][]byte{head, fmt.Appendf(nil, "\n[... %d bytes truncated ...]\n", dropped), tail}
}

// runePieces returns how many bytes at the end of head begin a UTF-8
// character they do not finish, and how many at the start of tail
// continue one it does not begin.
func runePieces(head, tail []byte) (h, t int) {
	for i := len(head) - 1; i >= 0 && i >= len(head)-utf8.UTFMax; i-- {
		if utf8.RuneStart(head[i]) {
			if head[i] >= 0xc0 && !utf8.FullRune(head[i:]) {
				h = len(head) - i
			}
			break
		}
	}
	for t < len(tail) && t < utf8.UTFMax-1 && !utf8.RuneStart(tail[t]) {
		t++
	}
	return h, t
}

// Text returns Bytes as safe text (see Text).
func (b *Buffer) Text() string { return Text(b.Bytes()) }

// LastLines returns at most n of the last non-empty lines of s, at most max
// bytes, for error messages.
func LastLines(s string, n, max int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	var keep []string
	for i := len(lines) - 1; i >= 0 && len(keep) < n; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			keep = append(keep, lines[i])
		}
	}
	for i, j := 0, len(keep)-1; i < j; i, j = i+1, j-1 {
		keep[i], keep[j] = keep[j], keep[i]
	}
	out := strings.Join(keep, "\n")
	if len(out) > max {
		out = out[len(out)-max:]
		for len(out) > 0 && !utf8.RuneStart(out[0]) {
			out = out[1:]
		}
		out = "..." + out
	}
	return out
}
