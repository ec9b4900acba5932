//go:build unix

package cli

import (
	"io"

	"golang.org/x/sys/unix"
)

// termWidth is the width of the terminal w, or 0 when unknown.
func termWidth(w io.Writer) int {
	f, ok := fileOf(w)
	if !ok {
		return 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
