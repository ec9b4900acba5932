//go:build !linux

package cli

import "io"

// discardTypeahead drops nothing outside Linux: what a terminal holds
// before the first question is read after it and taken as typed after.
// Later questions drop the lines typed before them wherever this runs
// (terminalConfirmer dates each line by its arrival).
func discardTypeahead(io.Reader) {}
