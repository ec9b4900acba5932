package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

type heldRoots []string

func (r heldRoots) FileRoots() []string { return r }

// TestSubPlaybookRootsListADirectoryOnce: a calling playbook's directory
// that is one of the caller's roots already is not listed again, so a
// denial names each root once.
func TestSubPlaybookRootsListADirectoryOnce(t *testing.T) {
	for _, tc := range []struct {
		scope heldRoots
		dir   string
		want  []string
	}{
		{heldRoots{"/srv/pb"}, "/srv/pb", []string{"/srv/pb"}},
		{heldRoots{"/srv/pb/"}, "/srv/pb", []string{"/srv/pb/"}},
		{heldRoots{"/srv/data"}, "/srv/pb", []string{"/srv/data", "/srv/pb"}},
		{heldRoots{}, "/srv/pb", []string{"/srv/pb"}},
	} {
		if diff := cmp.Diff(tc.want, SubPlaybookRoots(tc.scope, tc.dir)); diff != "" {
			t.Errorf("roots %v, dir %s (-want +got):\n%s", tc.scope, tc.dir, diff)
		}
	}
}
