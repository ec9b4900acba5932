package redact

// Continues reports whether line may be one of several lines that masking
// reads as one text: a hex dump row (xxd, hexdump -C, od -c, od -a) or a
// line of wrapped base64 or hex (base64(1), PEM, xxd -p). A secret there
// may fall across the line's edge, a few of its bytes on this line and
// the rest on the next, which the line alone does not show to be a
// secret's: a writer that masks a line at a time masks such a line with
// its neighbours.
func Continues(line string) bool { return RowBytes(line) > 0 }

// RowBytes returns how many bytes of the text it encodes a line that may
// go on across the next (Continues) carries, and 0 for any other line: a
// dump row's bytes (1 for od -w1, 16 for xxd), and for a line of wrapped
// base64 or hex at least MinDumpPiece. A writer that masks such a line
// with those around it takes as many around it as hold MinDumpPiece-1
// bytes or more on each side: then a piece of a secret at the line's
// edge is either whole among them or, at their edge, MinDumpPiece bytes
// or more, which masking finds.
func RowBytes(line string) int {
	if len(line) >= MinWrapWidth && isBase64Text(line) {
		return max(len(line)/2, MinDumpPiece)
	}
	if !mayHoldDump(line) {
		return 0
	}
	var data []byte
	row, ok := parseAnyRow(line, &data)
	if !ok {
		return 0
	}
	return len(row.data)
}
