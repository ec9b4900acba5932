package cli

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// vt is a fake terminal for the live view's tests, as tmux behaves: text
// wraps at its width into rows of one logical line, a resize reflows the
// lines it holds, a line feed at the bottom scrolls the top row into the
// history, and clearing to the end of the screen with the cursor at its
// top left (tmux's scroll-on-clear) moves the whole screen into the
// history. It understands \r, \n (as \r\n, the terminal's output
// processing), ESC[nA, ESC[nC, ESC[2K, ESC[J and ignores SGR. One column
// per rune.
type vt struct {
	mu     sync.Mutex
	w, h   int
	lines  [][]rune // logical lines: the history's, then the screen's
	hist   int      // lines[:hist] were moved into the history by a clear
	cy, cx int      // the cursor: its logical line, and its offset in it
	held   string   // an escape sequence cut by the end of a write
}

func newVT(w, h int) *vt { return &vt{w: w, h: h, lines: [][]rune{nil}} }

// termSize makes the fake terminal's size known as a real one's is.
func (t *vt) termSize() (int, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.w, t.h
}

func (t *vt) resize(w, h int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.w, t.h = w, h // logical lines and offsets reflow by themselves
}

var vtCSI = regexp.MustCompile(`^\x1b\[([0-9;]*)([A-Za-z])`)

func (t *vt) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.held + string(p)
	t.held = ""
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			m := vtCSI.FindStringSubmatch(s[i:])
			if m == nil {
				t.held = s[i:]
				break
			}
			n, _ := strconv.Atoi(m[1])
			t.csi(n, m[1], m[2])
			i += len(m[0])
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch r {
		case '\r':
			t.cx = t.rowOf(t.cy, t.cx) * t.w
		case '\n':
			if row := t.rowOf(t.cy, t.cx); row+1 < t.rows(t.cy) {
				t.cx = (row + 1) * t.w
				continue
			}
			t.cy, t.cx = t.cy+1, 0
			if t.cy == len(t.lines) {
				t.lines = append(t.lines, nil)
			}
		default:
			l := t.lines[t.cy]
			for len(l) < t.cx {
				l = append(l, ' ')
			}
			if t.cx < len(l) {
				l[t.cx] = r
			} else {
				l = append(l, r)
			}
			t.lines[t.cy], t.cx = l, t.cx+1
		}
	}
	return len(p), nil
}

func (t *vt) csi(n int, arg, cmd string) {
	switch cmd {
	case "A":
		row := t.absRow(t.cy, t.cx) - max(n, 1)
		row = max(row, t.top())
		col := t.cx % t.w
		for y := range t.lines {
			if row < t.rows(y) {
				t.cy, t.cx = y, row*t.w+col
				return
			}
			row -= t.rows(y)
		}
	case "C":
		t.cx += max(n, 1)
	case "K":
		if arg == "2" {
			start := t.rowOf(t.cy, t.cx) * t.w
			l := t.lines[t.cy]
			for i := start; i < min(len(l), start+t.w); i++ {
				l[i] = ' '
			}
		}
	case "J":
		if t.absRow(t.cy, t.cx) == t.top() && t.cx%t.w == 0 && t.shows() {
			// tmux's scroll-on-clear: the screen goes into the history.
			t.lines = append(t.lines, nil)
			t.hist, t.cy, t.cx = len(t.lines)-1, len(t.lines)-1, 0
			return
		}
		l := t.lines[t.cy]
		t.lines[t.cy] = l[:min(len(l), t.cx)]
		t.lines = t.lines[:t.cy+1]
	}
}

// shows reports whether the screen, from the cursor's line on, holds any
// text: tmux moves nothing into the history for a blank screen.
func (t *vt) shows() bool {
	for _, l := range t.lines[t.cy:] {
		if strings.TrimSpace(string(l)) != "" {
			return true
		}
	}
	return false
}

// rows is how many rows logical line y takes.
func (t *vt) rows(y int) int {
	return max(1, (len(t.lines[y])+t.w-1)/t.w)
}

// rowOf is the row, within its line, of offset x of line y; the cursor
// after the last column of a full row stays on it.
func (t *vt) rowOf(y, x int) int { return min(x/t.w, t.rows(y)-1) }

func (t *vt) absRow(y, x int) int {
	n := 0
	for i := range y {
		n += t.rows(i)
	}
	return n + t.rowOf(y, x)
}

// top is the first row of the screen.
func (t *vt) top() int {
	total, hist := 0, 0
	for i := range t.lines {
		if i == t.hist {
			hist = total
		}
		total += t.rows(i)
	}
	return max(hist, total-t.h)
}

// all is every row, the history's and the screen's, and where the screen
// starts.
func (t *vt) all() (rows []string, top int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.lines {
		for r := range max(1, (len(l)+t.w-1)/t.w) {
			rows = append(rows, strings.TrimRight(string(l[r*t.w:min(len(l), (r+1)*t.w)]), " "))
		}
	}
	return rows, t.top()
}

// screen is what the terminal shows.
func (t *vt) screen() string {
	rows, top := t.all()
	return strings.Join(rows[top:], "\n")
}

// history is what scrolled off the screen.
func (t *vt) history() string {
	rows, top := t.all()
	return strings.Join(rows[:top], "\n")
}
