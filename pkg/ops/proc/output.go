package proc

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// OutputFile is a file a started process's output is appended to, placed
// inside one of the file roots of the call that started it. It is opened
// through os.Root each time the process starts, restarts included, so
// neither ".." nor a symlink, even one planted after the first start, leads
// outside Root. The zero OutputFile discards the output.
type OutputFile struct {
	Root string // the root directory the file must stay inside
	Rel  string // the file's path relative to Root
	Path string // the absolute path, for messages and to tell files apart
}

// OutputError is the failure to open an OutputFile.
type OutputError struct {
	File OutputFile
	Err  error
}

func (e *OutputError) Error() string {
	if policy.IsEscape(e.Err) {
		return fmt.Sprintf("opening %s for the output: a symlink or .. leads out of the file root %s (%v)", e.File.Path, e.File.Root, e.Err)
	}
	return fmt.Sprintf("opening %s for the output: %v", e.File.Path, e.Err)
}

func (e *OutputError) Unwrap() error { return e.Err }

// open opens the file for appending, creating it if need be; only a
// regular file is accepted, and a FIFO put in its place does not block
// the open (nor the supervisor with it).
func (o OutputFile) open() (*os.File, error) {
	f, err := fsroot.OpenOutput(o.Root, o.Rel, os.O_APPEND)
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
		return nil, &OutputError{o, err}
	}
	return f, nil
}

// outputFile places the file that param names inside the call's file
// roots. "" is the zero OutputFile.
func outputFile(ctx context.Context, p ops.Params, param string, roots []string) (OutputFile, error) {
	name := p.String(param)
	if name == "" {
		return OutputFile{}, nil
	}
	place, err := policy.Locate(ctx, name, roots)
	if err != nil {
		return OutputFile{}, ops.WithClass(policy.Class(err, ops.ClassValidation), err)
	}
	return OutputFile{Root: place.Root, Rel: place.Rel, Path: place.Abs}, nil
}

// startError classes the failure of a start: an output file that a
// symlink or ".." leads out of the roots is an authorization matter.
func startError(ctx context.Context, err error, roots []string) error {
	var oe *OutputError
	if errors.As(err, &oe) && policy.IsEscape(oe.Err) {
		return ops.WithClass(ops.ClassAuthorization, policy.Escaped(ctx, oe.File.Path, roots))
	}
	return ops.WithClass(ops.ClassExecution, err)
}
