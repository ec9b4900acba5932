//go:build !unix

package cli

import "io"

// termWidth is the width of the terminal w, or 0 when unknown.
func termWidth(io.Writer) int { return 0 }
