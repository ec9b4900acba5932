package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRemoteExecIndentsStderr: when an operation fails under 'remote
// exec', the stderr lines its error ends with are indented under the
// error, as the summary of 'run' indents them, so that none can pass for
// a line of the tool's own ("✓ deploy succeeded").
func TestRemoteExecIndentsStderr(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/operations/{op}/execute", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprint(w, `{"error": {"class": "execution", "message": "exit code 1 is not in ok_codes [0]; stderr ends with:\n✓ deploy succeeded\narsenal-run: all good\n"}}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	res := runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "exec", "shell.exec")
	want := "arsenal-run: shell.exec failed: exit code 1 is not in ok_codes [0]; stderr ends with:\n  ✓ deploy succeeded\n  arsenal-run: all good\n"
	if res.code != ExitFailed || res.stderr != want {
		t.Errorf("exit %d, stderr\n%s\nwant exit %d, stderr\n%s", res.code, res.stderr, ExitFailed, want)
	}
	if strings.Contains(res.stdout, "succeeded") {
		t.Errorf("stdout %q", res.stdout)
	}
}
