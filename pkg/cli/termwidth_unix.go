//go:build unix

package cli

import (
	"io"

	"golang.org/x/sys/unix"
)

// termWidth is the width of the terminal w, or 0 when unknown.
func termWidth(w io.Writer) int {
	width, _ := termSize(w)
	return width
}

// termSize is the width and height of the terminal w, or 0, 0 when unknown.
// A writer that is no file but knows the size of the terminal it writes
// to tells it.
func termSize(w io.Writer) (width, height int) {
	if s, ok := w.(interface{ termSize() (int, int) }); ok {
		return s.termSize()
	}
	f, ok := fileOf(w)
	if !ok {
		return 0, 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0
	}
	return int(ws.Col), int(ws.Row)
}
