package cli

// What a confirm: question asked on the terminal needs from the lines
// written around it.

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// questionView is what shows the run on the terminal a question is asked
// on: the live view, or the log lines under a questionHold. While the
// question waits it is paused, so that nothing is written after the
// question, which must stay the last thing on the screen; terminal
// writes the question itself, and what ends its line, past the pause.
type questionView interface {
	pause()
	resume()
	terminal() io.Writer
}

// askGate lets a question wait until the view has shown what the run did
// before asking it. The engine announces a question (confirm_asked) and
// then asks it, but the view gets the run's events through a stream, a
// little later: asked at once, the question would come before the lines
// of the steps that finished just before it (which the pause then holds
// until it is answered), and those are what the answer depends on.
type askGate struct {
	mu     sync.Mutex
	asked  map[string]int // questions asked, by step
	shown  map[string]int // their confirm_asked events shown, by step
	change chan struct{}  // closed and replaced when shown changes
}

// askGateWait bounds the wait for the view: events the stream dropped, or
// a view that does not keep up, delay a question by no more than this.
const askGateWait = 2 * time.Second

func newAskGate() *askGate {
	return &askGate{asked: map[string]int{}, shown: map[string]int{}, change: make(chan struct{})}
}

// ask counts a question of step, as the engine asks it; it returns its
// number, for wait.
func (g *askGate) ask(step string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked[step]++
	return g.asked[step]
}

// shownAsk is called by the view once it has written out everything up to
// step's confirm_asked event.
func (g *askGate) shownAsk(step string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shown[step]++
	close(g.change)
	g.change = make(chan struct{})
}

// wait waits until the view has shown question n of step, at most
// askGateWait, or until ctx ends.
func (g *askGate) wait(ctx context.Context, step string, n int) {
	timeout := time.NewTimer(askGateWait)
	defer timeout.Stop()
	for {
		g.mu.Lock()
		done, change := g.shown[step] >= n, g.change
		g.mu.Unlock()
		if done {
			return
		}
		select {
		case <-change:
		case <-timeout.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// questionHold is the terminal's writer when the run writes log lines to
// it (TERM=dumb, --log-format json or logfmt): while a question waits,
// what is written (log lines, notices) is held, and written after the
// answer, in order, instead of landing on the question's line and
// scrolling it away. At most maxHeld bytes are held; lines past that are
// counted and dropped (the report keeps the steps' output).
type questionHold struct {
	mu      sync.Mutex
	w       io.Writer
	paused  bool
	held    []byte
	dropped int // lines dropped while paused
}

const maxHeld = 1 << 20

func (h *questionHold) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.paused {
		return h.w.Write(p)
	}
	if h.dropped > 0 || len(h.held)+len(p) > maxHeld {
		h.dropped += max(1, countLines(p))
		return len(p), nil
	}
	h.held = append(h.held, p...)
	return len(p), nil
}

func countLines(p []byte) int {
	n := 0
	for _, c := range p {
		if c == '\n' {
			n++
		}
	}
	return n
}

func (h *questionHold) pause() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.paused = true
}

func (h *questionHold) resume() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.flush()
}

// release ends a pause for a process about to exit at once (a second
// signal): the question's line is ended and what was held is written.
func (h *questionHold) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.paused {
		return
	}
	fmt.Fprintln(h.w)
	h.flush()
}

// flush ends the pause and writes what was held; h.mu is held.
func (h *questionHold) flush() {
	h.paused = false
	if len(h.held) > 0 {
		h.w.Write(h.held)
		h.held = nil
	}
	if h.dropped > 0 {
		fmt.Fprintf(h.w, "%s: %s written while the question waited were dropped; the report has the steps' output\n", program, plural(h.dropped, "log line", "log lines"))
		h.dropped = 0
	}
}

func (h *questionHold) terminal() io.Writer { return holdTerminal{h} }

type holdTerminal struct{ h *questionHold }

func (t holdTerminal) Write(b []byte) (int, error) {
	t.h.mu.Lock()
	defer t.h.mu.Unlock()
	return t.h.w.Write(b)
}
