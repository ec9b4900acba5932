package plugin

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
)

// startProblem says why the program could not be started, and what to do.
// The kernel's words mislead for a script: "no such file or directory"
// when the program is there but its #! interpreter is not, and "exec
// format error" for a script without a #! line.
func startProblem(prog string, err error) string {
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOEXEC) {
		if first, ok := firstLine(prog); ok {
			interp, isScript := strings.CutPrefix(first, "#!")
			switch {
			case strings.HasPrefix(first, "\ufeff#!") && errors.Is(err, syscall.ENOEXEC):
				return fmt.Sprintf("%s starts with a byte order mark (U+FEFF) before its #! line, which hides the #! from the system; save it as UTF-8 without a BOM", prog)
			case isScript && strings.HasSuffix(interp, "\r") && errors.Is(err, syscall.ENOENT):
				return fmt.Sprintf("%s has Windows line endings (CRLF): its #! line names the interpreter %q, carriage return included, which does not exist; convert the file to Unix line endings (LF), as dos2unix does", prog, strings.TrimSpace(interp)+"\r")
			case isScript && errors.Is(err, syscall.ENOENT):
				fields := strings.Fields(interp)
				name := strings.TrimSpace(interp)
				if len(fields) > 0 {
					name = fields[0]
				}
				return fmt.Sprintf("%s starts with #!%s, and its interpreter %s was not found; fix the #! line, or install the interpreter", prog, strings.TrimSpace(interp), name)
			case !isScript && errors.Is(err, syscall.ENOEXEC):
				return fmt.Sprintf("%s is neither a program for this system nor a script with a #! line; add one, like #!/bin/sh, as its first line", prog)
			}
		}
	}
	// Checked at load, changed since: serve and schedule load once.
	fi, serr := os.Stat(prog)
	switch {
	case errors.Is(serr, fs.ErrNotExist) && errors.Is(err, syscall.ENOENT):
		return fmt.Sprintf("%s does not exist, though it did when the plugins were loaded; put it back, or remove its manifest (and restart serve or schedule, which read the manifests at start)", prog)
	case serr == nil && errors.Is(err, syscall.EACCES) && fi.Mode().IsRegular() && fi.Mode()&0o111 == 0:
		return fmt.Sprintf("%s is not executable (mode %s); chmod +x it", prog, fsx.Octal(fi.Mode()))
	}
	if u := errors.Unwrap(err); u != nil {
		err = u
	}
	return fmt.Sprintf("starting %s: %v", prog, err)
}

// firstLine reads the first line of the file (at most 256 bytes), a
// carriage return before its newline kept; false when it cannot be read.
func firstLine(path string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	b, err := bufio.NewReader(io.LimitReader(f, 256)).ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false
	}
	return string(bytes.TrimSuffix(b, []byte("\n"))), true
}
