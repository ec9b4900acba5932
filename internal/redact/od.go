package redact

import "strconv"

// od -c (and od -An -c, od -tc) writes each byte of a secret in a cell of
// its own, four characters wide: a printable character as itself after
// three spaces ("   Z"), a space as four spaces, a control character as
// its escape ("  \n", "  \0") and any other byte as three octal digits
// (" 303"), 16 cells a row after the row's offset (none with -An). A
// secret there is none of its texts: its characters stand apart.

// odCellWidth is how wide od -c writes a byte.
const odCellWidth = 4

// odEscapes are the bytes od -c writes as a backslash and a letter.
var odEscapes = [256]byte{'0': 0, 'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v', '\\': '\\'}

// od -a (od -An -a, od -t a) writes a control character, a space and DEL
// by name instead ("  nl", " esc", "  sp", " del"), and any other byte as
// its low seven bits: é's two bytes as "   C   )".

// odNames are the bytes od -a writes by name, by name.
var odNames = map[string]byte{
	"nul": 0, "soh": 1, "stx": 2, "etx": 3, "eot": 4, "enq": 5, "ack": 6, "bel": 7,
	"bs": 8, "ht": 9, "nl": 10, "vt": 11, "ff": 12, "cr": 13, "so": 14, "si": 15,
	"dle": 16, "dc1": 17, "dc2": 18, "dc3": 19, "dc4": 20, "nak": 21, "syn": 22, "etb": 23,
	"can": 24, "em": 25, "sub": 26, "esc": 27, "fs": 28, "gs": 29, "rs": 30, "us": 31,
	"sp": ' ', "del": 0x7f,
}

// odCell reads the od -c or od -a cell c (odCellWidth bytes) back to its
// byte.
func odCell(c string) (byte, bool) {
	if c[0] != ' ' {
		return 0, false
	}
	if c[1] != '\\' && c[2] != '\\' && c[3] > ' ' {
		name := c[1:]
		for name[0] == ' ' && len(name) > 1 {
			name = name[1:]
		}
		if b, ok := odNames[name]; ok && len(name) >= 2 {
			return b, true
		}
	}
	switch {
	case c[1] == ' ' && c[2] == ' ' && c[3] > ' ' && c[3] < 0x7f:
		return c[3], true
	case c[1] == ' ' && c[2] == ' ' && c[3] == ' ':
		return ' ', true
	case c[1] == ' ' && c[2] == '\\':
		if e := odEscapes[c[3]]; e != 0 || c[3] == '0' {
			return e, true
		}
	case '0' <= c[1] && c[1] <= '3' && isOctal(c[2]) && isOctal(c[3]):
		return (c[1]-'0')<<6 | (c[2]-'0')<<3 | (c[3] - '0'), true
	}
	return 0, false
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

// odOffset returns how many digits of an od offset (octal, decimal or
// hex, 6 to 16 of them) line starts with, or 0 for none.
func odOffset(line string) int {
	i := 0
	for i < len(line) && i <= 16 && isHexDigit(line[i]) {
		i++
	}
	if i < 6 || i > 16 {
		return 0
	}
	return i
}

// sevenBits is s with each byte's high bit cleared, as od -a writes it.
func sevenBits(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] &= 0x7f
	}
	return string(b)
}

// mayBeODRow is the cheap test of mayHoldDump for an od -c row: an
// offset and a space, or a first cell that reads as a byte.
func mayBeODRow(line string) bool {
	at := odOffset(line)
	if at > 0 {
		return len(line) > at && line[at] == ' '
	}
	if len(line) < odCellWidth {
		return false
	}
	_, ok := odCell(line[:odCellWidth])
	return ok
}

// parseODRow reads line as a row of od -c: an optional offset, then cells
// to the line's end. The row's bytes are appended to data, which is left
// as it was when line is no row. textAt is where its first cell starts,
// relative to the line.
func parseODRow(line string, data *[]byte) (dumpRow, bool) {
	lo := len(*data)
	at := odOffset(line)
	if at > 0 && line[at] != ' ' {
		return dumpRow{}, false
	}
	if len(line)-at < odCellWidth || (len(line)-at)%odCellWidth != 0 {
		return dumpRow{}, false
	}
	for i := at; i < len(line); i += odCellWidth {
		c, ok := odCell(line[i : i+odCellWidth])
		if !ok {
			*data = (*data)[:lo]
			return dumpRow{}, false
		}
		*data = append(*data, c)
	}
	return dumpRow{od: true, offLen: uint8(at), data: (*data)[lo:], textAt: at}, true
}

// odFollows reports whether the od row cur goes on from prev, the line
// before it, in a run that first started: prev is as wide as first (od's
// rows are all as wide but the last), and the offsets, when written,
// step by prev's bytes in one of od's bases.
func odFollows(s string, first, prev, cur dumpRow) bool {
	if len(prev.data) != len(first.data) || (prev.offLen == 0) != (cur.offLen == 0) {
		return false
	}
	if prev.offLen == 0 {
		return true
	}
	for _, base := range []int{8, 10, 16} {
		p, err1 := strconv.ParseInt(s[prev.start:prev.start+int(prev.offLen)], base, 64)
		c, err2 := strconv.ParseInt(s[cur.start:cur.start+int(cur.offLen)], base, 64)
		if err1 == nil && err2 == nil && c == p+int64(len(prev.data)) {
			return true
		}
	}
	return false
}

// maskODCell masks the od -c cell at b[at:]: its characters become '*',
// a space's last one, so that the columns stay in place.
func maskODCell(b []byte, at int) {
	masked := false
	for i := at + 1; i < at+odCellWidth; i++ {
		if b[i] != ' ' {
			b[i], masked = '*', true
		}
	}
	if !masked {
		b[at+odCellWidth-1] = '*'
	}
}
