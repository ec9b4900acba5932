package procenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// ProgramError says that a program cannot be run at all: it is not found,
// not executable, or not in a format the kernel runs. That is a mistake in
// the step, not a failure of the run, so the ops report it as a validation
// error, which is never retried.
type ProgramError struct {
	Msg string
	Err error // the underlying cause, if any
}

func (e *ProgramError) Error() string { return e.Msg }
func (e *ProgramError) Unwrap() error { return e.Err }

// IsProgramError reports whether err says the program cannot be run.
func IsProgramError(err error) bool {
	var pe *ProgramError
	return errors.As(err, &pe)
}

// Resolve finds the file to execute: a name with a slash is taken as a path
// (relative to dir), anything else is looked up in path. Like exec.LookPath
// it never picks a program from the current directory through a relative
// PATH entry. A program that is missing or not executable is a
// *ProgramError.
func Resolve(name, dir, path string) (string, error) {
	if strings.Contains(name, "/") {
		if !filepath.IsAbs(name) && dir != "" {
			name = filepath.Join(dir, name)
		}
		if err := executable(name); err != nil {
			return "", &ProgramError{Msg: fmt.Sprintf("program %s: %v; check the path", name, err), Err: err}
		}
		return name, nil
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" || !filepath.IsAbs(d) {
			continue
		}
		p := filepath.Join(d, name)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", &ProgramError{Msg: fmt.Sprintf("program %q not found in PATH (%s); give its full path or fix PATH in env", name, path), Err: os.ErrNotExist}
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return errors.Unwrap(err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return errors.New("is not an executable file")
	}
	return nil
}

// StartError explains why starting program failed. When the kernel refused
// the file itself (gone, not executable, not a format it runs, a script
// whose interpreter is missing), the error is a *ProgramError. err is
// the error of starting it as it came: the kernel's, which a
// *os.PathError naming the path wraps, or one of exec.Cmd's own (an
// environment holding a NUL byte), which wraps nothing and reads whole.
func StartError(program string, err error) error {
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err
	}
	for _, errno := range []syscall.Errno{syscall.ENOENT, syscall.EACCES, syscall.ENOEXEC, syscall.ENOTDIR, syscall.EISDIR, syscall.ELOOP, syscall.ENAMETOOLONG} {
		if errors.Is(err, errno) {
			return &ProgramError{Msg: fmt.Sprintf("program %s cannot be run: %v", program, errno), Err: err}
		}
	}
	return fmt.Errorf("starting %s: %w", program, err)
}

// CheckCommand checks the command and script parameters that shell.exec
// and ssh.exec share: exactly one of them, and a command that is a
// non-empty argv whose items hold no NUL byte. example is an argv to show
// when neither is given, such as "[ls, -l]".
func CheckCommand(p ops.Params, example string) ops.ParamErrors {
	var errs ops.ParamErrors
	add := func(format string, args ...any) {
		errs = append(errs, &ops.ParamError{Param: "command", Msg: fmt.Sprintf(format, args...)})
	}
	_, hasCmd := p["command"]
	_, hasScript := p["script"]
	switch {
	case hasCmd && hasScript:
		add("give command or script, not both")
	case !hasCmd && !hasScript:
		add("give command (an argv list such as %s) or script", example)
	}
	if !p.Known("command") {
		return errs
	}
	argv := p.List("command")
	if len(argv) == 0 {
		add("is empty; give at least the program name")
	}
	for i, a := range argv {
		if s, ok := a.(string); ok {
			if strings.IndexByte(s, 0) >= 0 {
				add("item %d contains a NUL byte, which a program argument cannot hold", i)
			}
			if i == 0 && s == "" {
				add("the program name (item 0) is empty")
			}
		}
	}
	return errs
}
