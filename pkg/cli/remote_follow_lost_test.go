package cli

import (
	"fmt"
	"net/http"
	"testing"
)

// TestRemoteFollowLostKeySaysTheRunGoesOn: a key that expires, or is
// taken out of the keys file, while a run is followed is refused when the
// stream reconnects; the run itself goes on on the server. The error
// says so, with how to look at it, rather than only that the key was
// refused, which reads as if the run had been denied.
func TestRemoteFollowLostKeySaysTheRunGoesOn(t *testing.T) {
	quickReconnects(t)
	srv := fakeRunServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Last-Event-ID") != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"class":"authentication","message":"the API key has expired"}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		writeEvent(t, w, 1, "run_started")
	})
	r := runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "run", "sleeper", "--follow")
	r.want(t, ExitDenied, nil, []string{
		"the API key has expired",
		"run " + fakeRunID + " may still be going on the server",
		"'arsenal-run remote runs'",
	})
}
