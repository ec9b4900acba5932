//go:build !unix

package cli

import "io"

// termWidth is the width of the terminal w, or 0 when unknown.
func termWidth(io.Writer) int { return 0 }

// termSize is the width and height of the terminal w, or 0, 0 when unknown.
func termSize(io.Writer) (width, height int) { return 0, 0 }
