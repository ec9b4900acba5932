package redact

// Continues reports whether line may be one of several lines that masking
// reads as one text: a hex dump row (xxd, hexdump -C, od -c, od -a) or a line of wrapped
// base64 or hex (base64(1), PEM, xxd -p). A secret there may fall across
// the line's edge, a few of its bytes on this line and the rest on the
// next, which the line alone does not show to be a secret's: a writer
// that masks a line at a time masks such a line with its neighbours.
func Continues(line string) bool {
	if len(line) >= MinWrapWidth && isBase64Text(line) {
		return true
	}
	if !mayHoldDump(line) {
		return false
	}
	var data []byte
	_, ok := parseAnyRow(line, &data)
	return ok
}
