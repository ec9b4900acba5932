package termtext

import (
	"strconv"
	"strings"
)

// CutNote is the note that ends a line cut to a limit, n bytes of it cut:
// " …[n bytes cut]".
func CutNote(n int) string { return " …[" + strconv.Itoa(n) + " bytes cut]" }

// CutNoteMax is the most bytes a CutNote takes.
const CutNoteMax = len(" …[") + 20 + len(" bytes cut]")

// TrailingCut reports whether s ends with a CutNote, as a line an earlier
// writer cut does, and if so how many bytes that writer cut and how many
// bytes the note takes. A writer that cuts such a line again adds the
// first to its own count, so that the note it writes says how much of
// the original line is missing.
func TrailingCut(s string) (n, size int, ok bool) {
	const open, end = " …[", " bytes cut]"
	body, found := strings.CutSuffix(s, end)
	if !found {
		return 0, 0, false
	}
	i := strings.LastIndex(body, open)
	if i < 0 {
		return 0, 0, false
	}
	digits := body[i+len(open):]
	if digits == "" || len(digits) > 19 || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0, 0, false
	}
	return n, len(s) - i, true
}
