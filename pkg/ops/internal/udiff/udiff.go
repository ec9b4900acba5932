// Package udiff writes unified diffs of two texts, bounded in time, memory
// and size: the line matching is Myers' algorithm with a cap on the number
// of edits it searches for, beyond which the changed middle is shown as
// removed and added whole (still a correct diff, just not a minimal one),
// and the text of the diff is cut at a byte limit.
package udiff

import (
	"fmt"
	"strings"
)

// MaxEdits bounds the edit distance Myers' search explores; its memory
// grows with the square of it.
const MaxEdits = 1000

// op is one line of an edit script.
type op struct {
	kind byte // ' ', '-', '+'
	line string
}

// Unified returns the unified diff of a and b with ctx lines of context,
// labelled with the two names, or "" when they are equal. A diff longer
// than max bytes is cut at a line end and ends with a line saying how much
// was left out; max <= 0 means no limit.
func Unified(nameA, nameB, a, b string, ctx, max int) string {
	if a == b {
		return ""
	}
	la, lb := splitLines(a), splitLines(b)
	script := diffLines(la, lb)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	for _, h := range hunks(script, ctx) {
		out.WriteString(h)
	}
	s := out.String()
	if max > 0 && len(s) > max {
		cut := strings.LastIndexByte(s[:max], '\n') + 1
		s = s[:cut] + fmt.Sprintf("... diff truncated: %d more bytes\n", len(s)-cut)
	}
	return s
}

// splitLines splits s after each newline; a last line without one is kept
// and marked, as diff does.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	} else {
		lines[len(lines)-1] += "\n\\ No newline at end of file\n"
	}
	return lines
}

// diffLines returns an edit script turning a into b.
func diffLines(a, b []string) []op {
	// Common prefix and suffix first: most edits of a file are small.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var script []op
	for _, l := range a[:pre] {
		script = append(script, op{' ', l})
	}
	script = append(script, myers(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, l := range a[len(a)-suf:] {
		script = append(script, op{' ', l})
	}
	return script
}

// myers finds a shortest edit script of a into b, or, when it is longer
// than MaxEdits, removes all of a and adds all of b.
func myers(a, b []string) []op {
	n, m := len(a), len(b)
	whole := func() []op {
		s := make([]op, 0, n+m)
		for _, l := range a {
			s = append(s, op{'-', l})
		}
		for _, l := range b {
			s = append(s, op{'+', l})
		}
		return s
	}
	if n == 0 || m == 0 {
		return whole()
	}
	max := n + m
	if max > MaxEdits {
		max = MaxEdits
	}
	// trace[d] holds V for diagonals -d..d after d edits.
	var trace [][]int
	v := make([]int, 2*max+3)
	off := max + 1
	found := -1
	for d := 0; d <= max && found < 0; d++ {
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = d
				break
			}
		}
		snap := make([]int, 2*d+1)
		copy(snap, v[off-d:off+d+1])
		trace = append(trace, snap)
	}
	if found < 0 {
		return whole()
	}
	// Walk back through the trace.
	var rev []op
	x, y := n, m
	for d := found; d > 0; d-- {
		prev := trace[d-1]
		at := func(k int) int { return prev[k+d-1] }
		k := x - y
		var pk int
		if k == -d || k != d && at(k-1) < at(k+1) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, op{' ', a[x]})
		}
		if x == px {
			y--
			rev = append(rev, op{'+', b[y]})
		} else {
			x--
			rev = append(rev, op{'-', a[x]})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, op{' ', a[x]})
	}
	script := make([]op, len(rev))
	for i, o := range rev {
		script[len(rev)-1-i] = o
	}
	return script
}

// hunks groups an edit script into unified-diff hunks with ctx lines of
// context around each change.
func hunks(script []op, ctx int) []string {
	var out []string
	i := 0
	lineA, lineB := 1, 1 // line numbers at script[i]
	for i < len(script) {
		// Find the next change.
		j := i
		la, lb := lineA, lineB
		for j < len(script) && script[j].kind == ' ' {
			j++
			la++
			lb++
		}
		if j == len(script) {
			break
		}
		start := j - ctx
		if start < i {
			start = i
		}
		startA, startB := la-(j-start), lb-(j-start)
		// Extend while changes are within 2*ctx lines of each other.
		end := j
		ea, eb := la, lb
		for end < len(script) {
			if script[end].kind != ' ' {
				if script[end].kind == '-' {
					ea++
				} else {
					eb++
				}
				end++
				continue
			}
			run := end
			for run < len(script) && script[run].kind == ' ' {
				run++
			}
			if run == len(script) || run-end > 2*ctx {
				break
			}
			ea += run - end
			eb += run - end
			end = run
		}
		tail := end + ctx
		if tail > len(script) {
			tail = len(script)
		}
		countA, countB := 0, 0
		var body strings.Builder
		for _, o := range script[start:tail] {
			if o.kind != '+' {
				countA++
			}
			if o.kind != '-' {
				countB++
			}
			body.WriteByte(o.kind)
			body.WriteString(o.line)
		}
		out = append(out, fmt.Sprintf("@@ -%s +%s @@\n", rng(startA, countA), rng(startB, countB))+body.String())
		// Advance the line counters to tail.
		lineA, lineB = ea+(tail-end), eb+(tail-end)
		i = tail
	}
	return out
}

// rng formats a hunk range: start,count, with diff's conventions for empty
// ranges and single lines.
func rng(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}
