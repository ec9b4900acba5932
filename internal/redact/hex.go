package redact

import (
	"encoding/hex"
	"strings"
)

// xxdWidth is how many hex digits a line of xxd -p holds.
const xxdWidth = 60

// hexForms are the forms of s's hex that are masked, for a secret of
// MinEmbedded bytes or more: whole, in lower case (xxd -p, od, Python's
// bytes.hex, Go's %x) and upper case (xxd -p -u, Go's %X), and, when it
// is longer than a line of xxd -p, each line as xxd -p cuts it. Hex
// writes each byte as two digits, so a secret inside a longer text is
// written as its own hex there too. A shorter secret's hex is a few
// digits that other hex (a hash, an id) holds by chance.
func hexForms(s string) []string {
	if len(s) < MinEmbedded {
		return nil
	}
	lower := hex.EncodeToString([]byte(s))
	out := []string{lower}
	if upper := strings.ToUpper(lower); upper != lower {
		out = append(out, upper)
	}
	for i := range len(out) {
		out = append(out, wrapped(out[i], xxdWidth)...)
	}
	return out
}
