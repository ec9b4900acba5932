package cli

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRemoteFollowSaysTheStreamIsLostAndBack: a server that stops (or a
// network that drops) while a run is followed leaves the view showing
// the last step running, its time counting, while the stream reconnects
// for up to half a minute. A line says the stream is lost as soon as a
// reconnection fails, and another when it is back; a connection that
// breaks and opens again at once says nothing.
func TestRemoteFollowSaysTheStreamIsLostAndBack(t *testing.T) {
	quickReconnects(t)
	var n atomic.Int32
	srv := fakeRunServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1, 2: // events, then a cut that the next connection resumes
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			writeEvent(t, w, uint64(n.Load()), "log")
		case 3, 4:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":{"class":"unavailable","message":"the server is stopping"}}`)
		default:
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			writeEvent(t, w, 3, "run_finished")
		}
	})
	r := runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "run", "sleeper", "--wait")
	lost := "lost the event stream of run " + fakeRunID + " (503 unavailable: the server is stopping); reconnecting, up to 8 times"
	back := "the event stream of run " + fakeRunID + " is back"
	r.want(t, ExitOK, []string{"succeeded"}, []string{lost, back})
	if c := strings.Count(r.stderr, "lost the event stream"); c != 1 {
		t.Errorf("said lost %d times, want once:\n%s", c, r.stderr)
	}
	if i, j := strings.Index(r.stderr, lost), strings.Index(r.stderr, back); i > j {
		t.Errorf("said back before lost:\n%s", r.stderr)
	}
}
