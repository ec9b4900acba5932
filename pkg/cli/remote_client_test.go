package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRemoteKeyWithSurroundingSpace: a key read from the environment with
// a trailing newline (echo into a CI secret) or spaces around it is sent
// without them.
func TestRemoteKeyWithSurroundingSpace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer ak_test" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"class":"authentication","message":"unknown key"}}`)
			return
		}
		fmt.Fprint(w, `{"operations":[{"name":"control.noop","risk":"read","description":"Does nothing."}]}`)
	}))
	defer srv.Close()
	for _, key := range []string{"ak_test\n", " ak_test\r\n", "\tak_test "} {
		runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": key}, "remote", "ops", "list").
			want(t, ExitOK, []string{"control.noop"}, nil)
	}
	// Only white space is no key: named by --key-env, a usage error.
	runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "K": " \n"}, "remote", "--key-env", "K", "ops", "list").
		want(t, ExitUsage, nil, []string{"--key-env K: the variable is unset or empty"})
}
