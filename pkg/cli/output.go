package cli

import (
	"errors"
	"io"
	"os"
	"slices"
	"sync"
	"syscall"
)

// output is a command's standard output. It remembers the first write that
// failed, so that dispatch reports it once when the command returns,
// whichever command wrote: `schema playbook > /dev/full` must not exit 0
// with a truncated file.
type output struct {
	w io.Writer

	mu  sync.Mutex
	err error // the first write error
}

func (o *output) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil {
		o.mu.Lock()
		if o.err == nil {
			o.err = err
		}
		o.mu.Unlock()
	}
	return n, err
}

// failed returns the first write error, nil if every write succeeded.
func (o *output) failed() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// fileOf returns the file a stream writes to, seeing through output, for
// the checks of a terminal (colour, the live view, the width).
func fileOf(w any) (*os.File, bool) {
	if t, ok := w.(interface{ unwrapWriter() io.Writer }); ok {
		w = t.unwrapWriter()
	}
	if o, ok := w.(*output); ok {
		w = o.w
	}
	f, ok := w.(*os.File)
	return f, ok
}

// outputFailed reports a failed write to stdout after the command ended
// with code, and returns the code to exit with: at least ExitFailed. A
// broken pipe (`arsenal-run … | head`) is not a failure: the reader wanted
// no more, and the command ends quietly with its own code.
func outputFailed(e *env, out *output, args []string, code int) int {
	err := out.failed()
	if err == nil || errors.Is(err, syscall.EPIPE) {
		return code
	}
	if errors.Is(err, syscall.EIO) && !toFile(out) {
		// A terminal that hung up (a closed SSH session, a killed tmux
		// window): the error alone reads as a disk failing. Into a
		// file (`> /mnt/nfs/out`) an EIO is the disk's or the share's.
		e.errorf("the terminal of stdout went away (%v): what the command wrote there from then on was not shown%s", err, hungUpHint(args))
	} else {
		e.errorf("writing output: %v", err)
	}
	if code == ExitOK {
		return ExitFailed
	}
	return code
}

// hungUpHint is where to find what a command showed on a terminal that
// hung up, by the command (args as Main got them): a run's report, or the
// command run again for those that only read. Other commands (cache
// clear, keys, serve) may have changed things: run again they would not
// show the same, and nothing is said.
func hungUpHint(args []string) string {
	if len(args) == 0 {
		return ""
	}
	switch args[0] {
	case "run":
		return "; the run's report is in its --report file and its state dir's history, if it was given them"
	case "remote":
		switch {
		case slices.Contains(args[1:], "run"):
			return "; the run's report is kept by the server: 'remote runs' lists it"
		case slices.Contains(args[1:], "runs") || slices.Contains(args[1:], "ops"):
			return "; the command changed nothing: run it again to see what it wrote"
		}
	case "history", "stats", "report", "validate", "ops", "schema", "version", "--version", "-version", "completion", "help", "-h", "-help", "--help":
		return "; the command changed nothing: run it again to see what it wrote"
	}
	return ""
}

// toFile reports whether out writes to a file that is no terminal nor
// other device: a regular file, a pipe, a socket. A terminal that hung up
// can no longer be asked whether it is one, but it is still a character
// device.
func toFile(out *output) bool {
	f, ok := fileOf(out)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice == 0
}
