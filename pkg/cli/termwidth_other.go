//go:build !unix

package cli

import "io"

// termWidth is the width of the terminal w, or 0 when unknown.
func termWidth(io.Writer) int { return 0 }

// termSize is the width and height of the terminal w, or 0, 0 when unknown:
// only a writer that knows the size of the terminal it writes to tells it.
func termSize(w io.Writer) (width, height int) {
	if s, ok := w.(interface{ termSize() (int, int) }); ok {
		return s.termSize()
	}
	return 0, 0
}
