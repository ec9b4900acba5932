package server

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestStateDirMovedIsUnavailable: a run refused because the state dir was
// moved under the server is the server's trouble (503, unavailable), not
// the caller's request nor an internal error.
func TestStateDirMovedIsUnavailable(t *testing.T) {
	err := fmt.Errorf("%w: /srv/state no longer exists", history.ErrStateDirMoved)
	e := (&Server{}).prepareError(err, "inputs")
	if e.Status != http.StatusServiceUnavailable || e.Class != ClassUnavailable || e.Message != err.Error() {
		t.Errorf("got %d %s %q", e.Status, e.Class, e.Message)
	}
}
