package capture

import (
	"bytes"
	"io"
	"strings"
	"sync"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// maxLine is the longest line a LineWriter passes on; a longer one keeps
// its head and a note of how much was cut.
const maxLine = 64 << 10

// lineKeep is how much of a long line is kept past maxLine until the line
// ends, so that a secret crossing the cut (or its base64 form) is masked
// whole before the cut.
const lineKeep = 64 << 10

// LineWriter passes what is written to it on to dst one complete line at a
// time, each made safe with Text and passed through mask. A line longer
// than maxLine is passed on when it ends, cut, never in pieces: a piece
// would begin with the rest of a secret the cut went through. A line that
// may go on across the next one (redact.Continues: a hex dump row, a line
// of wrapped base64) is passed on once the lines after it hold
// redact.MinDumpPiece-1 bytes or more (the next line, but for rows of one
// to three bytes, od -w1 or xxd -c 2), or a line that does not go on
// comes, or Flush: masked with the lines around it, as many on each side,
// so that a few bytes of a secret at its edge are masked as the whole
// text masks them. Several LineWriters may share one dst by sharing mu.
// Write errors of dst are ignored: live output is a convenience, never a
// reason to fail a step.
type LineWriter struct {
	mu   *sync.Mutex
	dst  io.Writer
	mask func(string) string
	buf  []byte
	cut  int // bytes of the current line past maxLine+lineKeep, dropped
	// held are lines that may go on across the next, not passed on yet;
	// before are those passed on just before them that may go on too, as
	// many as hold lineContext bytes: all as Text made them, unmasked.
	held, before []heldLine
}

// heldLine is a line that may go on across the next, and the bytes of
// text it carries (redact.RowBytes).
type heldLine struct {
	text  string
	bytes int
}

// lineContext is how many bytes of the lines on each side of a line that
// may go on are masked with it.
const lineContext = redact.MinDumpPiece - 1

// NewLineWriter returns a LineWriter; mask may be nil.
func NewLineWriter(dst io.Writer, mu *sync.Mutex, mask func(string) string) *LineWriter {
	if mu == nil {
		mu = &sync.Mutex{}
	}
	return &LineWriter{mu: mu, dst: dst, mask: mask}
}

// Write emits every complete line in p and keeps the rest for later.
func (w *LineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.add(p)
			break
		}
		if len(w.buf) == 0 && w.cut == 0 {
			w.emit(p[:i])
		} else {
			w.add(p[:i])
			w.emit(w.buf)
			w.buf, w.cut = w.buf[:0], 0
		}
		p = p[i+1:]
	}
	return n, nil
}

// add keeps b as part of the current line, up to maxLine+lineKeep bytes.
func (w *LineWriter) add(b []byte) {
	room := max(maxLine+lineKeep-len(w.buf), 0)
	take := min(room, len(b))
	w.buf = append(w.buf, b[:take]...)
	w.cut += len(b) - take
}

// Flush emits a last line that had no newline, and the lines held for
// it.
func (w *LineWriter) Flush() {
	if len(w.buf) > 0 {
		w.emit(w.buf)
		w.buf, w.cut = w.buf[:0], 0
	}
	w.release()
}

// emit masks the line whole, then cuts it to maxLine; a line that may go
// on across the next is held until the lines after it hold lineContext
// bytes.
func (w *LineWriter) emit(line []byte) {
	s := Text(line)
	if w.mask == nil {
		w.write(s)
		return
	}
	n := 0
	if whole := len(line)+w.cut <= maxLine; whole {
		n = redact.RowBytes(s)
	}
	if n > 0 {
		w.held = append(w.held, heldLine{s, n})
		for len(w.held) > 1 && bytesOf(w.held[1:]) >= lineContext {
			w.pass()
		}
		return
	}
	w.release()
	w.before = w.before[:0]
	s = w.mask(s)
	if len(line)+w.cut > maxLine {
		s = termtext.Head(s, maxLine) + termtext.CutNote(len(line)+w.cut-maxLine)
	}
	w.write(s)
}

// release passes on every held line: no line after them goes on.
func (w *LineWriter) release() {
	for len(w.held) > 0 {
		w.pass()
	}
}

// pass passes on the first held line, masked with the lines before it and
// those held after it, and keeps it among those before the next.
func (w *LineWriter) pass() {
	lines := make([]string, 0, len(w.before)+len(w.held))
	for _, l := range w.before {
		lines = append(lines, l.text)
	}
	at := len(lines)
	for _, l := range w.held {
		lines = append(lines, l.text)
	}
	w.write(w.maskIn(lines, at))
	w.before = append(w.before, w.held[0])
	w.held = w.held[1:]
	for len(w.before) > 1 && bytesOf(w.before[1:]) >= lineContext {
		w.before = w.before[1:]
	}
	if len(w.held) == 0 {
		w.held = nil
	}
}

// bytesOf is how many bytes of text the lines carry.
func bytesOf(ls []heldLine) int {
	n := 0
	for _, l := range ls {
		n += l.bytes
	}
	return n
}

// maskIn masks lines as one text and returns what became of lines[at];
// that line alone is masked when the masks did not keep the lines apart
// (a secret of several lines).
func (w *LineWriter) maskIn(lines []string, at int) string {
	if len(lines) == 1 {
		return w.mask(lines[0])
	}
	out := strings.Split(w.mask(strings.Join(lines, "\n")), "\n")
	if len(out) != len(lines) {
		return w.mask(lines[at])
	}
	return out[at]
}

// write passes one line on to dst.
func (w *LineWriter) write(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = io.WriteString(w.dst, s+"\n")
}
