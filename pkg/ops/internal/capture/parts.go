package capture

import (
	"encoding/base64"
	"slices"
	"strings"
	"unicode/utf8"
)

// Parts returns what b keeps as the parts Cut returns, without a copy of
// it: once it was cut, the tail's ring is put in order where it is (what
// b writes after starts at the ring's start, as it would have where it
// was), so that b's bytes take no room more than its buffers.
func (b *Buffer) Parts() [][]byte {
	if b.tail == nil {
		return [][]byte{b.head}
	}
	if b.full && b.pos > 0 {
		slices.Reverse(b.tail[:b.pos])
		slices.Reverse(b.tail[b.pos:])
		slices.Reverse(b.tail)
		b.pos = 0
	}
	tail := b.tail[:b.pos]
	if b.full {
		tail = b.tail
	}
	return Cut(b.head, tail, b.dropped, b.secrets)
}

// NewBufferSize is NewBuffer with room for size bytes made at once, when
// the size of what comes is known (a file's, a Content-Length): the bytes
// are then held once, not grown through copies.
func NewBufferSize(limit, size int) *Buffer {
	b := NewBuffer(limit)
	if size > 0 {
		b.head = make([]byte, 0, min(size, b.limit))
	}
	return b
}

// Held is the bytes b's buffers take: what it keeps, and the room made
// for more.
func (b *Buffer) Held() int { return cap(b.head) + cap(b.tail) }

// Kept is the bytes b keeps: all that was written, or its head and tail.
func (b *Buffer) Kept() int {
	if b.tail == nil {
		return len(b.head)
	}
	if b.full {
		return len(b.head) + len(b.tail)
	}
	return len(b.head) + b.pos
}

// Len is the length of parts together.
func Len(parts [][]byte) int {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return n
}

// Base64Len is the length of Base64(parts).
func Base64Len(parts [][]byte) int { return base64.StdEncoding.EncodedLen(Len(parts)) }

// Base64 returns parts, one after the other, in standard base64, built in
// one string of the exact length: no copy of the bytes, nor of the text.
func Base64(parts [][]byte) string {
	var sb strings.Builder
	sb.Grow(Base64Len(parts))
	enc := base64.NewEncoder(base64.StdEncoding, &sb)
	for _, p := range parts {
		enc.Write(p) // a strings.Builder does not fail
	}
	enc.Close()
	return sb.String()
}

// ValidTextLen is the length of ValidText(parts).
func ValidTextLen(parts [][]byte) int {
	n := 0
	for _, p := range parts {
		n += validLen(p)
	}
	return n
}

// ValidText returns parts, one after the other, as UTF-8 text: each run of
// invalid bytes becomes U+FFFD, as strings.ToValidUTF8 makes it, in one
// string of the exact length. A run never spans two parts: Cut's note is
// ASCII, and a whole body is one part.
func ValidText(parts [][]byte) string {
	var sb strings.Builder
	sb.Grow(ValidTextLen(parts))
	for _, p := range parts {
		if utf8.Valid(p) {
			sb.Write(p)
			continue
		}
		invalid := false
		for i := 0; i < len(p); {
			r, size := utf8.DecodeRune(p[i:])
			if r == utf8.RuneError && size == 1 {
				if !invalid {
					sb.WriteString("\uFFFD")
				}
				invalid = true
				i++
				continue
			}
			invalid = false
			sb.Write(p[i : i+size])
			i += size
		}
	}
	return sb.String()
}

func validLen(p []byte) int {
	if utf8.Valid(p) {
		return len(p)
	}
	n, invalid := 0, false
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && size == 1 {
			if !invalid {
				n += len("\uFFFD")
			}
			invalid = true
			i++
			continue
		}
		invalid = false
		n += size
		i += size
	}
	return n
}
