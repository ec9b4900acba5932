package redact

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
)

// MinDumpPiece is the fewest bytes of a secret at the edge of a hex dump
// row, or of a run of rows, that are masked there: a piece that starts or
// ends a row may be any text's by chance when it is shorter.
const MinDumpPiece = 4

// A hex dump (hexdump -C, xxd) writes each byte of a secret as two hex
// digits and, in its text column, as itself, 16 bytes a row: neither is
// one of the secret's texts once the secret starts off a row's start or
// is longer than a row. dumpRow is one such row read back: its offset,
// its bytes, where each byte's digits are and where its text column
// starts.
type dumpRow struct {
	start, end int // the row's line in the text
	off        int64
	data       []byte
	textAt     int // the text column's first character; od's first cell
	// od is set for a row of od -c or od -a (od.go), whose offset is its first
	// offLen characters, in a base the rows around it tell.
	od     bool
	offLen uint8
}

// follows reports whether row cur goes on from prev, the line before it,
// in a run of rows that first started.
func follows(s string, first, prev, cur dumpRow) bool {
	if cur.start != prev.end+1 || cur.od != prev.od {
		return false
	}
	if cur.od {
		return odFollows(s, first, prev, cur)
	}
	return cur.off == prev.off+int64(len(prev.data))
}

// maskDumps masks, in the hex dump rows of s, the digits and the text
// column of each secret's bytes: wherever a secret is whole in a run of
// consecutive rows (as a report holds them), and, since the live output
// masks a few rows at a time (a row with those around it), its first or
// last MinDumpPiece bytes or more at the run's start or end and a run
// held whole in a secret. Each masked
// byte's digits become "**" and its character "*", so that the columns
// stay in place. r.mu is held for reading.
func (r *Redactor) maskDumps(s string) string {
	rows := dumpRows(s)
	if len(rows) == 0 {
		return s
	}
	b := []byte(s)
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && follows(s, rows[i], rows[j-1], rows[j]) {
			j++
		}
		r.maskDumpRun(b, rows[i:j])
		i = j
	}
	return string(b)
}

// maskDumpRun masks the secrets in one run of consecutive rows.
func (r *Redactor) maskDumpRun(b []byte, rows []dumpRow) {
	var data []byte
	for _, row := range rows {
		data = append(data, row.data...)
	}
	masked := make([]bool, len(data))
	mark := func(from, to int) {
		for k := from; k < to; k++ {
			masked[k] = true
		}
	}
	r.matcher.each(string(data), func(k, n int) {
		if n >= MinEmbedded {
			mark(k, k+n)
		}
	})
	for v := range r.secrets {
		if len(v) < MinEmbedded {
			continue
		}
		markPieces(data, []byte(v), mark)
		// od -a writes a byte past ASCII as its low seven bits.
		if rows[0].od {
			if sv := sevenBits(v); sv != v {
				for from := 0; ; {
					i := strings.Index(string(data[from:]), sv)
					if i < 0 {
						break
					}
					mark(from+i, from+i+len(sv))
					from += i + 1
				}
				markPieces(data, []byte(sv), mark)
			}
		}
	}
	k := 0
	for _, row := range rows {
		switch {
		case !slices.Contains(masked[k:k+len(row.data)], true):
		case row.od:
			for i := range row.data {
				if masked[k+i] {
					maskODCell(b, row.textAt+odCellWidth*i)
				}
			}
		default:
			for i, at := range digitPlaces(b[row.start:row.end], len(row.data)) {
				if masked[k+i] {
					b[row.start+at], b[row.start+at+1] = '*', '*'
					b[row.textAt+i] = '*'
				}
			}
		}
		k += len(row.data)
	}
}

// markPieces marks in data, a run of rows' bytes, the pieces of the
// secret sv of MinDumpPiece bytes or more at the run's start or end, and
// the whole run when it is held in sv.
func markPieces(data, sv []byte, mark func(from, to int)) {
	if len(data) >= MinDumpPiece && len(data) <= len(sv) && bytes.Contains(sv, data) {
		mark(0, len(data))
	}
	for n := min(len(sv)-1, len(data)); n >= MinDumpPiece; n-- {
		if data[n-1] == sv[len(sv)-1] && bytes.HasSuffix(sv, data[:n]) {
			mark(0, n)
			break
		}
	}
	for n := min(len(sv)-1, len(data)); n >= MinDumpPiece; n-- {
		if data[len(data)-n] == sv[0] && bytes.HasPrefix(sv, data[len(data)-n:]) {
			mark(len(data)-n, len(data))
			break
		}
	}
}

// digitPlaces returns where the first digit of each of the n bytes of a
// dump row is in its line, as parseDumpRow read them.
func digitPlaces(line []byte, n int) []int {
	i := 0
	for i < len(line) && isHexDigit(line[i]) {
		i++
	}
	places := make([]int, 0, n)
	for ; i < len(line) && len(places) < n; i++ {
		if i+1 < len(line) && isHexDigit(line[i]) && isHexDigit(line[i+1]) {
			places = append(places, i)
			i++
		}
	}
	return places
}

// dumpRows returns the lines of s that are hex dump rows or od -c or -a rows.
func dumpRows(s string) []dumpRow {
	var rows []dumpRow
	// The rows' bytes, in one array.
	var data []byte
	for start := 0; start < len(s); {
		end := strings.IndexByte(s[start:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += start
		}
		if row, ok := parseAnyRow(s[start:end], &data); ok {
			row.start, row.end = start, end
			row.textAt += start
			rows = append(rows, row)
		}
		start = end + 1
	}
	return rows
}

// parseAnyRow reads line as a hex dump row or an od -c or -a row.
func parseAnyRow(line string, data *[]byte) (dumpRow, bool) {
	if row, ok := parseDumpRow(line, data); ok {
		return row, true
	}
	if !mayBeODRow(line) {
		return dumpRow{}, false
	}
	return parseODRow(line, data)
}

// parseDumpRow reads a row as hexdump -C and xxd write it: an offset of
// at least 7 hex digits (with a colon after it for xxd), bytes as hex
// digits in groups, and the bytes' text (printable ASCII as itself, any
// other byte as '.'), between bars for hexdump -C. Offsets are relative
// to the row's line. The row's bytes are appended to data, which is left
// as it was when line is no row.
func parseDumpRow(line string, data *[]byte) (dumpRow, bool) {
	lo := len(*data)
	fail := func() (dumpRow, bool) {
		*data = (*data)[:lo]
		return dumpRow{}, false
	}
	ok := func(off int64, textAt int) (dumpRow, bool) {
		return dumpRow{off: off, data: (*data)[lo:], textAt: textAt}, true
	}
	i := 0
	for i < len(line) && isHexDigit(line[i]) {
		i++
	}
	if i < 7 || i > 16 || i == len(line) {
		return fail()
	}
	off, err := strconv.ParseInt(line[:i], 16, 64)
	if err != nil {
		return fail()
	}
	if line[i] == ':' {
		i++
	}
	for {
		j := i
		for j < len(line) && line[j] == ' ' {
			j++
		}
		if j == i || j == len(line) {
			return fail()
		}
		if got := (*data)[lo:]; len(got) > 0 {
			if text := line[j:]; len(text) == len(got)+2 && text[0] == '|' && text[len(text)-1] == '|' && dumpText(got, text[1:len(text)-1]) {
				return ok(off, j+1)
			}
			// xxd's text column follows two spaces or more, and
			// starts with the row's spaces when its bytes do.
			if at := len(line) - len(got); at-i >= 2 && at <= j && dumpText(got, line[at:]) {
				return ok(off, at)
			}
		}
		k := j
		for k < len(line) && isHexDigit(line[k]) {
			k++
		}
		if k == j || (k-j)%2 != 0 {
			return fail()
		}
		for p := j; p < k; p += 2 {
			*data = append(*data, hexValue(line[p])<<4|hexValue(line[p+1]))
		}
		i = k
	}
}

// dumpText reports whether text is the text column of data.
func dumpText(data []byte, text string) bool {
	if len(text) != len(data) {
		return false
	}
	for i, c := range data {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		if text[i] != c {
			return false
		}
	}
	return true
}

// hexValue is the value of a hex digit.
func hexValue(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// mayHoldDump reports whether a line of s could be a hex dump row (it
// starts with 7 hex digits) or an od -c or -a row (mayBeODRow). Most text has
// none, and is not parsed.
func mayHoldDump(s string) bool {
	for start := 0; start < len(s); {
		if n := len(s) - start; n >= 8 {
			k := 0
			for k < 7 && isHexDigit(s[start+k]) {
				k++
			}
			if k == 7 {
				return true
			}
		}
		if n := len(s) - start; n >= odCellWidth && (s[start] == ' ' || isHexDigit(s[start])) {
			end := strings.IndexByte(s[start:], '\n')
			if end < 0 {
				end = n
			}
			if mayBeODRow(s[start : start+end]) {
				return true
			}
		}
		nl := strings.IndexByte(s[start:], '\n')
		if nl < 0 {
			return false
		}
		start += nl + 1
	}
	return false
}
