package shell

import (
	"errors"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// outPipe carries one output stream of the process to its writers. It is a
// pipe of its own rather than one os/exec makes, whose wait for the pipes
// to close ends with a fixed delay: past it the rest of what the process
// left in the pipe was dropped, the last lines of its output first, when
// the writers (live output, masking, the run's events) were slower than
// the delay on a busy machine.
type outPipe struct {
	r, w    *os.File
	read    atomic.Int64 // bytes read from r
	started bool
	done    chan struct{}
	err     error // the writers' error, when done
	closed  atomic.Bool
}

func newOutPipe() (*outPipe, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	return &outPipe{r: r, w: w, done: make(chan struct{})}, nil
}

// start copies the pipe to dst until its end; the process has its own
// copy of the write end now.
func (p *outPipe) start(dst io.Writer) {
	p.w.Close()
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

// abandon closes both ends and stops the copy, if it runs: the process
// did not start, or the step ends without its output.
func (p *outPipe) abandon() {
	p.closed.Store(true)
	p.w.Close()
	p.r.Close()
	if p.started {
		<-p.done
	}
}

// wait waits for the end of the pipe once the process group is gone. What
// the group wrote is read whole, however long the writers take: the pipe
// is closed only after delay, and only when it is empty or when more than
// it can hold has been read since then, so that what is still written
// comes from a process that left the group (setsid) and holds the pipe
// open; its output from then on is not waited for.
func (p *outPipe) wait(delay time.Duration) error {
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

// outPipes are the process's stdout and stderr.
type outPipes [2]*outPipe

func newOutPipes() (outPipes, error) {
	var ps outPipes
	for i := range ps {
		p, err := newOutPipe()
		if err != nil {
			ps.abandon()
			return ps, err
		}
		ps[i] = p
	}
	return ps, nil
}

// abandon closes what is left open (see outPipe.abandon).
func (ps outPipes) abandon() {
	for _, p := range ps {
		if p != nil {
			p.abandon()
		}
	}
}

// wait waits for both pipes (see outPipe.wait) and returns the first
// error of their writers.
func (ps outPipes) wait(delay time.Duration) error {
	var errs [2]error
	done := make(chan struct{})
	go func() {
		defer close(done)
		errs[1] = ps[1].wait(delay)
	}()
	errs[0] = ps[0].wait(delay)
	<-done
	return errors.Join(errs[0], errs[1])
}
