package engine

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// Limits on the live process output a step writes to the log. The first
// LogHeadBytes of a step's output lines (all its items and attempts
// together) pass as they come; after that each call keeps only its last
// LogTailLines lines and writes them, after a "… N lines cut" marker, when
// it ends, until the step has also written LogTailBytes of such tails.
// So a process that prints a gigabyte leaves a log of about a megabyte.
const (
	LogHeadBytes = 512 << 10
	LogTailBytes = 512 << 10
	LogTailLines = 50
	// logMaxLine is the longest line passed on; a longer one is cut.
	logMaxLine = 16 << 10
)

// stepLog is what a step has written to the log so far, across its calls.
type stepLog struct {
	mu   sync.Mutex
	head int
	tail int
}

// outputWriter returns where an operation streams live process output, or
// nil when the run does not stream it. The chain flushes it when the call
// ends.
func (r *run) outputWriter(c *Call, stream string) *linePrefix {
	if r.o.procOut == nil && !r.observed() {
		return nil
	}
	prefix := c.Step.ID
	if c.Index >= 0 {
		prefix = c.Step.ID + "[" + strconv.Itoa(c.Index) + "]"
	}
	r.logMu.Lock()
	if r.logs == nil {
		r.logs = map[string]*stepLog{}
	}
	sl := r.logs[c.Step.ID]
	if sl == nil {
		sl = &stepLog{}
		r.logs[c.Step.ID] = sl
	}
	r.logMu.Unlock()
	return &linePrefix{w: r.o.procOut, prefix: prefix + " | ", red: r, step: sl, call: c, stream: stream}
}

// linePrefix writes each complete line with a prefix, masked, within the
// step's limits. An operation may write stdout and stderr to it from two
// goroutines.
type linePrefix struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  string
	red     *run
	step    *stepLog
	buf     []byte
	dropped int    // bytes of the current line past what buf keeps
	end     []byte // the last bytes of the current line, kept or not
	call    *Call
	stream  string   // stdout or stderr
	tail    []string // the last lines once the step's head is spent
	tailN   int      // bytes in tail
	cut     int      // lines not written
}

// Write passes on each complete line. Of a line longer than logMaxLine
// only the head is kept, with some bytes more until the line ends (see
// add), so that a secret crossing the cut is masked whole; the line is passed on
// when it ends, never in pieces, as a piece would begin with the rest of
// a secret the cut went through.
func (l *linePrefix) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.add(p)
			break
		}
		l.add(p[:i])
		l.line(l.buf, l.dropped)
		l.buf, l.dropped, l.end = l.buf[:0], 0, l.end[:0]
		p = p[i+1:]
	}
	return n, nil
}

// logKeep is how much of a long line is kept past logMaxLine at least;
// more when the run masks a longer text.
const logKeep = 4 << 10

// add keeps b as part of the current line, up to logMaxLine bytes and as
// many more as the longest text masked, so that a secret the cut goes
// through is masked whole.
func (l *linePrefix) add(b []byte) {
	keep := max(logKeep, l.red.red.Longest())
	take := min(max(logMaxLine+keep-len(l.buf), 0), len(b))
	l.buf = append(l.buf, b[:take]...)
	l.dropped += len(b) - take
	if len(b) > termtext.CutNoteMax {
		b = b[len(b)-termtext.CutNoteMax:]
	}
	l.end = append(l.end, b...)
	if extra := len(l.end) - termtext.CutNoteMax; extra > 0 {
		l.end = append(l.end[:0], l.end[extra:]...)
	}
}

// line writes one line, masked whole, then cut to logMaxLine (dropped
// bytes of it were not kept), or keeps it for the tail once the step's
// head is spent. A line the operation already cut (a shell step cuts
// its lines too, to a larger limit) ends with the operation's note of
// how much it cut: that note is cut here too, and its count added to
// this one, so that the note says how much of the line the process
// printed is missing.
func (l *linePrefix) line(b []byte, dropped int) {
	// A step's "::add-mask::VALUE" masks VALUE from this line on, in this
	// line too, as GitHub Actions' runner does.
	if v, ok := redact.MaskCommand(string(b)); ok {
		l.red.addMask(v)
	}
	s := l.red.red.String(string(b))
	if size := len(b) + dropped; size > logMaxLine {
		if n, note, ok := termtext.TrailingCut(string(l.end)); ok && size-note >= logMaxLine {
			size += n - note
			s = strings.TrimSuffix(s, string(l.end[len(l.end)-note:]))
		}
		s = termtext.Head(s, logMaxLine) + termtext.CutNote(size-logMaxLine)
	}
	s += "\n"
	l.step.mu.Lock()
	pass := l.step.head+len(s) <= LogHeadBytes
	if pass {
		l.step.head += len(s)
	}
	l.step.mu.Unlock()
	if pass {
		l.out(s)
		return
	}
	l.tail = append(l.tail, s)
	l.tailN += len(s)
	for len(l.tail) > LogTailLines || len(l.tail) > 1 && l.tailN > logMaxLine*2 {
		l.tailN -= len(l.tail[0])
		l.tail = l.tail[1:]
		l.cut++
	}
}

// flush ends the call's output: a last line without a newline, then, when
// lines were held back, the marker and the tail.
func (l *linePrefix) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.line(l.buf, l.dropped)
		l.buf, l.dropped, l.end = nil, 0, l.end[:0]
	}
	if len(l.tail) == 0 {
		return
	}
	l.step.mu.Lock()
	fits := l.step.tail+l.tailN <= LogTailBytes
	if fits {
		l.step.tail += l.tailN
	}
	l.step.mu.Unlock()
	if !fits {
		l.cut += len(l.tail)
		l.tail = nil
	}
	if l.cut > 0 {
		l.out(fmt.Sprintf("… %d lines cut (the step's log limit) …\n", l.cut))
	}
	for _, s := range l.tail {
		l.out(s)
	}
	l.tail, l.tailN, l.cut = nil, 0, 0
}

// out passes one masked line, ending in a newline, to the process output
// writer and as a log event.
func (l *linePrefix) out(s string) {
	if l.w != nil {
		_, _ = io.WriteString(l.w, l.prefix+s)
	}
	l.red.emitCall(l.call, Event{Kind: EventLog, Stream: l.stream, Message: strings.TrimSuffix(s, "\n")})
}
