package cli

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"golang.org/x/sys/unix"
)

// discardTypeahead drops what a terminal holds that nobody has read yet
// (tcflush TCIFLUSH): typed before the question about to be shown, it is
// not its answer, and a line left unfinished goes with it. Where stdin is
// no terminal (a pipe, a file, whose lines were written for the questions
// to come), nothing is dropped: what it holds before the first question
// is read after it and taken as typed after.
func discardTypeahead(in io.Reader) {
	f, ok := in.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) {
		return
	}
	_ = unix.IoctlSetInt(int(f.Fd()), unix.TCFLSH, unix.TCIFLUSH) // typed-ahead lines stay, as elsewhere
}
