package redact

import "strings"

// MinWrapWidth is the narrowest wrap of base64 read as one text: base64(1)
// wraps at 76 characters, PEM at 64, others at widths between.
const MinWrapWidth = 16

// maskWrapped masks a secret's base64 in wrapped base64 text (base64(1),
// PEM, MIME) however it falls across the lines: a run of lines of base64
// characters, all as long as the first but the last, is read as one
// text, and each secret form found in it is masked, its pieces on each
// line included, the short ones too. A secret's own base64 starts at any
// column when other bytes were encoded before it (user:token, a file),
// and ends anywhere; the forms masked whole (base64Forms) cut it only
// from a line's start. r.mu is held for reading.
func (r *Redactor) maskWrapped(s string) string {
	var masked []bool
	mark := func(run [][2]int, width, from, to int) {
		if masked == nil {
			masked = make([]bool, len(s))
		}
		for k := from; k < to; k++ {
			line := min(k/width, len(run)-1)
			masked[run[line][0]+k-line*width] = true
		}
	}
	for _, run := range wrappedRuns(s) {
		width := run[0][1] - run[0][0]
		text := s[run[0][0]:run[0][1]]
		if len(run) > 1 {
			var joined strings.Builder
			joined.Grow(width * len(run))
			for _, l := range run {
				joined.WriteString(s[l[0]:l[1]])
			}
			text = joined.String()
			// A form that fits on one line is the matcher's.
			r.matcher.each(text, func(k, n int) {
				if k/width != (k+n-1)/width {
					mark(run, width, k, k+n)
				}
			})
		}
		// The live output masks a few lines at a time: a line held whole in a
		// form, or a piece of one at its start or end. Only a form of
		// base64 characters can be in base64 text.
		for v := range r.secrets {
			if len(v) < MinEmbedded || len(run) == 1 && v == text || !isBase64Text(v) {
				// A line that is a form is the matcher's, which masks a
				// longer secret holding it whole.
				continue
			}
			if len(text) <= len(v) && strings.Contains(v, text) {
				mark(run, width, 0, len(text))
			}
			for n := min(len(v)-1, len(text)); n >= MinEmbedded; n-- {
				if text[n-1] == v[len(v)-1] && strings.HasSuffix(v, text[:n]) {
					mark(run, width, 0, n)
					break
				}
			}
			for n := min(len(v)-1, len(text)); n >= MinEmbedded; n-- {
				if text[len(text)-n] == v[0] && strings.HasPrefix(v, text[len(text)-n:]) {
					mark(run, width, len(text)-n, len(text))
					break
				}
			}
		}
	}
	if masked == nil {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if !masked[i] {
			b.WriteByte(s[i])
			continue
		}
		b.WriteString(Mask)
		for i+1 < len(s) && masked[i+1] {
			i++
		}
	}
	return b.String()
}

// wrappedRuns returns the runs of lines of s that are wrapped base64, or
// one line of it: each line of base64 characters (either alphabet, padding), all
// as long as the first, of MinWrapWidth or more, but the last, which may
// be shorter. Each line is its start and end in s.
func wrappedRuns(s string) [][][2]int {
	var runs [][][2]int
	var run [][2]int
	width := 0
	end := func() {
		if len(run) >= 1 {
			runs = append(runs, run)
		}
		run, width = nil, 0
	}
	for start := 0; start < len(s); {
		stop := strings.IndexByte(s[start:], '\n')
		if stop < 0 {
			stop = len(s)
		} else {
			stop += start
		}
		line := [2]int{start, stop}
		if stop > start && s[stop-1] == '\r' {
			line[1]--
		}
		n := line[1] - line[0]
		switch {
		case n == 0 || !isBase64Text(s[line[0]:line[1]]):
			end()
		case width == 0 && n >= MinWrapWidth:
			run, width = append(run, line), n
		case width != 0 && n == width:
			run = append(run, line)
		case width != 0 && n < width:
			run = append(run, line)
			end()
		default:
			end()
			if n >= MinWrapWidth {
				run, width = append(run, line), n
			}
		}
		start = stop + 1
	}
	end()
	return runs
}

func isBase64Text(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_' || c == '=') {
			return false
		}
	}
	return true
}
