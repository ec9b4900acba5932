package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// TestWriteNestedTextAlignsWideNames: a fan-out item labelled in
// Japanese, two columns a character, keeps the OP and STATUS columns of
// the nested steps' table in line with the other rows.
func TestWriteNestedTextAlignsWideNames(t *testing.T) {
	r := nestedReport()
	r.Steps[3].Items[1].Label = "東京ウェブ-2"
	var b bytes.Buffer
	if err := WriteNestedText(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, mark := range []string{"shell.exec", "✗ failed"} {
		want := -1
		for _, l := range strings.Split(b.String(), "\n") {
			i := strings.Index(l, mark)
			if i < 0 {
				continue
			}
			col := termtext.Width(l[:i])
			if want < 0 {
				want = col
			}
			if col != want {
				t.Errorf("%q at column %d, want %d as on the row above:\n%s", mark, col, want, b.String())
			}
		}
	}
	if !strings.Contains(b.String(), "hosts[東京ウェブ-2]/ping") {
		t.Errorf("the table lacks the labelled item's row:\n%s", b.String())
	}
}
