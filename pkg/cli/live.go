package cli

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// isTerminal reports whether the stream is a terminal.
func (e *env) isTerminal(s any) bool {
	f, ok := s.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// liveView shows a run's progress on a terminal: a line for each finished
// step, and a status line, redrawn ten times a second, with the running
// steps, their elapsed time and fan-out progress.
type liveView struct {
	mu      sync.Mutex
	w       io.Writer
	p       palette
	runID   string
	running map[string]*liveStep
	paused  bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

type liveStep struct {
	start              time.Time
	items, done, fails int
}

func newLiveView(w io.Writer, p palette) *liveView {
	v := &liveView{w: w, p: p, running: map[string]*liveStep{}, stop: make(chan struct{})}
	v.wg.Add(1)
	go v.tick()
	return v
}

func (v *liveView) tick() {
	defer v.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			v.mu.Lock()
			v.status()
			v.mu.Unlock()
		}
	}
}

// Event implements engine.Observer.
func (v *liveView) Event(ev engine.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if ev.Kind == engine.EventRunStarted && v.runID == "" {
		v.runID = ev.RunID
	}
	if ev.RunID != v.runID {
		return // a sub-playbook's steps show in the report
	}
	switch ev.Kind {
	case engine.EventStepStarted:
		s := v.running[ev.Step]
		if s == nil {
			s = &liveStep{start: ev.Time}
			v.running[ev.Step] = s
		}
		if ev.Items > 0 {
			s.items = ev.Items
		}
	case engine.EventItemFinished:
		if s := v.running[ev.Step]; s != nil {
			s.done++
			if ev.Status == string(report.StatusFailed) || ev.Status == string(report.StatusDenied) {
				s.fails++
			}
		}
	case engine.EventStepFinished:
		var took time.Duration
		if s := v.running[ev.Step]; s != nil {
			took = ev.Time.Sub(s.start)
		}
		delete(v.running, ev.Step)
		st := report.Status(ev.Status)
		line := fmt.Sprintf("%s %-24s %-10s %s", v.icon(st), termtext.Line(ev.Step), termtext.Line(string(st)), report.FormatMS(took.Milliseconds()))
		if ev.Err != "" {
			// An error can quote command output or a response body.
			line += "  " + v.p.dim(termtext.Line(firstLine(ev.Err)))
		}
		fmt.Fprintf(v.w, "\r\x1b[K%s\n", line)
		v.status()
	}
}

func (v *liveView) icon(s report.Status) string {
	i := report.Icon(s)
	switch s {
	case report.StatusSucceeded:
		return v.p.green(i)
	case report.StatusFailed, report.StatusDenied:
		return v.p.red(i)
	case report.StatusCancelled:
		return v.p.yellow(i)
	}
	return v.p.dim(i)
}

// pause stops redrawing, and clears the status line, so that a question
// asked on the terminal stays visible; resume starts again.
func (v *liveView) pause() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.paused = true
	fmt.Fprint(v.w, "\r\x1b[K")
}

func (v *liveView) resume() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.paused = false
}

// status redraws the status line; v.mu is held.
func (v *liveView) status() {
	if v.paused {
		return
	}
	if len(v.running) == 0 {
		fmt.Fprint(v.w, "\r\x1b[K")
		return
	}
	ids := make([]string, 0, len(v.running))
	for id := range v.running {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parts := make([]string, 0, len(ids))
	now := time.Now()
	for _, id := range ids {
		s := v.running[id]
		p := fmt.Sprintf("%s %s", termtext.Line(id), report.FormatMS(now.Sub(s.start).Milliseconds()))
		if s.items > 0 {
			p += fmt.Sprintf(" %d/%d", s.done, s.items)
			if s.fails > 0 {
				p += fmt.Sprintf(" (%d failed)", s.fails)
			}
		}
		parts = append(parts, p)
	}
	line := "running: " + strings.Join(parts, ", ")
	if len(line) > 160 {
		line = line[:157] + "..."
	}
	fmt.Fprintf(v.w, "\r\x1b[K%s", v.p.dim(line))
}

// close stops redrawing and clears the status line.
func (v *liveView) close() {
	close(v.stop)
	v.wg.Wait()
	v.mu.Lock()
	fmt.Fprint(v.w, "\r\x1b[K")
	v.mu.Unlock()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
