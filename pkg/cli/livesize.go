package cli

import "fmt"

// The live view follows the terminal's size: a window resized while a run
// goes on (a tmux pane split, a laptop screen left for a smaller one)
// changes how wide the block's rows may be, and how many rows the rows it
// drew take now that the terminal has rewrapped them.

// setSize fits the view to a terminal of width columns and height rows (0
// when unknown); v.mu is held, or the view is new. A narrow terminal gets
// rows as narrow as it is: wider ones would wrap into several rows each
// and push the block past the screen's top.
func (v *liveView) setSize(width, height int) {
	switch {
	case width <= 0:
		width = 100
	case width < 3:
		width = 3 // room for one column and "…"
	}
	rows := maxBlockRows
	if height > 0 {
		rows = max(1, min(rows, height-1))
	}
	v.width, v.rows = width, rows
}

// clear erases the block; v.mu is held. It asks the terminal's size
// first: a terminal made narrower rewraps the rows drawn at the old width
// into more rows each, which the move up to the block's first row must
// count, or every redraw would leave the block's top behind.
//
// It moves to the block's first row, erases it, and clears the screen
// below from its second column, not its first: from the top left corner,
// which a run started on a cleared screen draws its block at, clearing to
// the end of the screen is taken by tmux (scroll-on-clear) for clearing
// the screen, whose lines it keeps in the scrollback, a copy of the block
// at every redraw.
func (v *liveView) clear() {
	if width, height := termSize(v.w); width > 0 {
		v.cols = width
		v.setSize(width, height)
	}
	up := -1
	for _, c := range v.drawn {
		up++
		if v.cols > 0 && c > v.cols {
			up += (c - 1) / v.cols
		}
	}
	if up > 0 {
		fmt.Fprintf(v.w, "\r\x1b[%dA", up)
	} else {
		fmt.Fprint(v.w, "\r")
	}
	fmt.Fprint(v.w, "\x1b[2K\x1b[C\x1b[J\r")
	v.drawn = v.drawn[:0]
}
