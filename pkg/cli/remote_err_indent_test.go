package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRemoteIndentsMultiLineAPIError: an error answer whose message runs
// over several lines has its later lines indented under the error, as
// exec indents an operation's stderr, so that none can pass for a line of
// the tool's own; the field named after the message stays with it.
func TestRemoteIndentsMultiLineAPIError(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/runs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"error": {"class": "internal", "message": "the history could not be read:\n✓ deploy succeeded\narsenal-run: all good", "field": "status"}}`)
	})
	mux.HandleFunc("POST /api/v1/runs/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"error": {"class": "internal", "message": "the audit line could not be written:\nno space left on device"}}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	env := map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}
	host := srv.Listener.Addr().String()

	res := runEnv(t, env, "remote", "runs")
	want := "arsenal-run: " + host + ": 500 internal: the history could not be read:\n  ✓ deploy succeeded\n  arsenal-run: all good (field status)\n"
	if res.code != ExitFailed || res.stderr != want {
		t.Errorf("runs: exit %d, stderr\n%s\nwant exit %d, stderr\n%s", res.code, res.stderr, ExitFailed, want)
	}

	res = runEnv(t, env, "remote", "cancel", "20261201T101612-2b9e")
	want = "arsenal-run: " + host + ": 500 internal: the audit line could not be written:\n  no space left on device\n"
	if res.code != ExitFailed || res.stderr != want {
		t.Errorf("cancel: exit %d, stderr\n%s\nwant exit %d, stderr\n%s", res.code, res.stderr, ExitFailed, want)
	}
}
