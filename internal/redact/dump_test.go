package redact

import (
	"strings"
	"testing"
)

// dumpSecret is printed after 0, 5 and 13 bytes of "x" and before " tail\n"
// in the dumps below, as xxd, hexdump -C and xxd -u -g1 print them.
const dumpSecret = "Sup3r-s3cret-t0ken-zz"

var dumps = []string{
	"00000000: 5375 7033 722d 7333 6372 6574 2d74 306b  Sup3r-s3cret-t0k\n" +
		"00000010: 656e 2d7a 7a20 7461 696c 0a              en-zz tail.\n",
	"00000000: 7878 7878 7853 7570 3372 2d73 3363 7265  xxxxxSup3r-s3cre\n" +
		"00000010: 742d 7430 6b65 6e2d 7a7a 2074 6169 6c0a  t-t0ken-zz tail.\n",
	"00000000  78 78 78 78 78 78 78 78  78 78 78 78 78 53 75 70  |xxxxxxxxxxxxxSup|\n" +
		"00000010  33 72 2d 73 33 63 72 65  74 2d 74 30 6b 65 6e 2d  |3r-s3cret-t0ken-|\n" +
		"00000020  7a 7a 20 74 61 69 6c 0a                           |zz tail.|\n" +
		"00000028\n",
	"00000000: 78 78 78 78 78 53 75 70 33 72 2D 73 33 63 72 65  xxxxxSup3r-s3cre\n" +
		"00000010: 74 2D 74 30 6B 65 6E 2D 7A 7A 20 74 61 69 6C 0A  t-t0ken-zz tail.\n",
}

// TestMaskHexDumps checks that a secret's bytes are masked in xxd and
// hexdump -C output, digits and text column, wherever the secret starts
// in a row: in the whole dump, as a report holds it, and row by row, as
// the live output masks it, but for pieces of fewer than MinDumpPiece
// bytes at a row's edge. The columns stay in place and the other bytes
// are left.
func TestMaskHexDumps(t *testing.T) {
	r := New(dumpSecret)
	hexOf := func(s string) []string {
		var out []string
		for i := 0; i+2 <= len(s); i += 2 {
			out = append(out, strings.ToLower(s[i:i+2]))
		}
		return out
	}
	for _, d := range dumps {
		whole := r.String(d)
		var rows []string
		for _, l := range strings.SplitAfter(d, "\n") {
			rows = append(rows, r.String(l))
		}
		byRow := strings.Join(rows, "")
		for what, got := range map[string]string{"whole": whole, "by row": byRow} {
			for _, piece := range []string{"Sup3r", "s3cret", "t0ken", "3r-s3", "p3r-s3cre"} {
				if strings.Contains(got, piece) {
					t.Errorf("%s: %q shows:\n%s", what, piece, got)
				}
			}
			if strings.Contains(strings.ToLower(got), "33 63 72 65") || strings.Contains(strings.ToLower(got), "3363 7265") {
				t.Errorf("%s: the digits of s3cre show:\n%s", what, got)
			}
			if !strings.Contains(got, "tail.") || len(got) != len(d) {
				t.Errorf("%s: the other bytes or the columns moved:\n%s", what, got)
			}
		}
		if strings.Contains(whole, "Sup") || strings.Contains(strings.Join(strings.Fields(strings.ToLower(whole)), ""), strings.Join(hexOf("7a7a20"), "")) {
			t.Errorf("whole: a piece at a row's edge shows:\n%s", whole)
		}
	}
	// Other dumps pass as they are.
	plain := "00000000: 6865 6c6c 6f0a                           hello.\n"
	if got := r.String(plain); got != plain {
		t.Errorf("%q became %q", plain, got)
	}
}
