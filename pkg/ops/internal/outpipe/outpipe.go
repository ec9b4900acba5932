// Package outpipe carries the output of a program an operation runs
// (shell.exec, plugins) to its writers through pipes of its own rather
// than the ones os/exec makes, whose wait for the pipes to close ends with
// a fixed delay: past it the rest of what the program left in the pipe was
// dropped, its last lines first, when the writers (live output, masking,
// the run's events) were slower than the delay on a busy machine.
package outpipe

import (
	"errors"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// Pipe carries one output stream of the process to its writers.
type Pipe struct {
	r *os.File
	// W is the write end, for the process: exec.Cmd's Stdout or Stderr.
	W       *os.File
	read    atomic.Int64 // bytes read from r
	started bool
	done    chan struct{}
	err     error // the writers' error, when done
	closed  atomic.Bool
}

// New makes a pipe.
func New() (*Pipe, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	return &Pipe{r: r, W: w, done: make(chan struct{})}, nil
}

// Start copies the pipe to dst until its end; call it once the process
// has started, with its own copy of the write end.
func (p *Pipe) Start(dst io.Writer) {
	p.W.Close()
	p.started = true
	go func() {
		defer close(p.done)
		buf := make([]byte, 32<<10)
		for {
			n, err := p.r.Read(buf)
			if n > 0 {
				p.read.Add(int64(n))
				if _, werr := dst.Write(buf[:n]); werr != nil {
					p.err = werr
					break
				}
			}
			if err != nil {
				if err != io.EOF && !(p.closed.Load() && errors.Is(err, os.ErrClosed)) {
					p.err = err
				}
				break
			}
		}
		p.r.Close() // a writer that failed: the process gets EPIPE
	}()
}

// Abandon closes both ends and stops the copy, if it runs: the process
// did not start, or the step ends without its output.
func (p *Pipe) Abandon() {
	p.closed.Store(true)
	p.W.Close()
	p.r.Close()
	if p.started {
		<-p.done
	}
}

// Wait waits for the end of the pipe once the process group is gone. What
// the group wrote is read whole, however long the writers take: the pipe
// is closed only after delay, and only when it is empty or when more than
// it can hold has been read since then, so that what is still written
// comes from a process that left the group (setsid) and holds the pipe
// open; its output from then on is not waited for.
func (p *Pipe) Wait(delay time.Duration) error {
	var mark, limit int64 = -1, 0
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return p.err
		case <-t.C:
		}
		if mark < 0 {
			mark, limit = p.read.Load(), pipeCapacity(p.r)
		}
		if !pipePending(p.r) || p.read.Load()-mark > limit {
			p.closed.Store(true)
			p.r.Close()
			<-p.done
			return p.err
		}
		t.Reset(delay)
	}
}

// Pair is the process's stdout and stderr.
type Pair [2]*Pipe

// NewPair makes the two pipes.
func NewPair() (Pair, error) {
	var ps Pair
	for i := range ps {
		p, err := New()
		if err != nil {
			ps.Abandon()
			return ps, err
		}
		ps[i] = p
	}
	return ps, nil
}

// Start copies stdout to out and stderr to errOut (see Pipe.Start).
func (ps Pair) Start(out, errOut io.Writer) {
	ps[0].Start(out)
	ps[1].Start(errOut)
}

// Abandon closes what is left open (see Pipe.Abandon).
func (ps Pair) Abandon() {
	for _, p := range ps {
		if p != nil {
			p.Abandon()
		}
	}
}

// Wait waits for both pipes (see Pipe.Wait) and returns the first error
// of their writers.
func (ps Pair) Wait(delay time.Duration) error {
	var errs [2]error
	done := make(chan struct{})
	go func() {
		defer close(done)
		errs[1] = ps[1].Wait(delay)
	}()
	errs[0] = ps[0].Wait(delay)
	<-done
	return errors.Join(errs[0], errs[1])
}
