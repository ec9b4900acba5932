package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRemoteExecUnknownOpNamesOpsList: the server's word on an unknown
// operation names its API; the command says which of its own lists them.
func TestRemoteExecUnknownOpNamesOpsList(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"class":"not_found","message":"unknown operation \"nosuch.op\"; GET /api/v1/operations lists them"}}`)
	}))
	defer srv.Close()
	envs := map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}
	runEnv(t, envs, "remote", "exec", "nosuch.op").want(t, ExitUsage, nil, []string{
		`unknown operation "nosuch.op"`,
		"arsenal-run: 'arsenal-run remote ops list' lists the server's operations",
	})
}
