package termtext

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAlignEndsNoLineInSpaces: a row whose last cell is empty (a step
// table's NOTE for a step that succeeded) ends with its last cell that
// has text, not in the padding that would line up an empty cell: piped
// to a file or a CI log, every such row ended in spaces.
func TestAlignEndsNoLineInSpaces(t *testing.T) {
	got := Align("STEP\tSTATUS\tNOTE\nask\tsucceeded\t\nskipme\tskipped\twhen is false\n", 2)
	want := "STEP    STATUS     NOTE\nask     succeeded\nskipme  skipped    when is false\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Align (-want +got):\n%s", diff)
	}
	for i, l := range strings.Split(got, "\n") {
		if strings.HasSuffix(l, " ") {
			t.Errorf("line %d ends in spaces: %q", i+1, l)
		}
	}
}
