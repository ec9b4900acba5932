package cli

// The writer the run's lines and questions share.

import (
	"io"
	"sync"
)

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// release lets what is written next through at once, should the writer
// be a live view holding lines while a question is asked (liveView.release).
func (l *lockedWriter) release() {
	l.mu.Lock()
	w := l.w
	l.mu.Unlock()
	if r, ok := w.(interface{ release() }); ok {
		r.release()
	}
}

// finish readies the terminal for a process about to exit at once (a
// second signal): a question being asked is let go (release), and a live
// view is closed, its block of running steps cleared, so that why the
// process exits is written on lines of its own, not under a block left
// on the screen, which the shell's prompt would then join.
func (l *lockedWriter) finish() {
	l.release()
	l.mu.Lock()
	w := l.w
	l.mu.Unlock()
	if c, ok := w.(interface{ close() }); ok {
		c.close()
	}
}

// swap makes w the writer written to, unless w is nil, and returns the
// one before.
func (l *lockedWriter) swap(w io.Writer) io.Writer {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.w
	if w != nil {
		l.w = w
	}
	return old
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
