package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The filters 'remote runs' echoes after "no runs match" are quoted when
// a plain word would misread them: a space would join the value to the
// next word, and a terminal escape would reach the terminal.
func TestRemoteRunsNoMatchQuotesValues(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("playbook") != "" {
			fmt.Fprint(w, `{"runs": [], "hint": "no playbook is served under that name"}`)
			return
		}
		fmt.Fprint(w, `{"runs": []}`)
	}))
	defer srv.Close()
	envs := map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--playbook", "deploy api", "--status", "failed"}, `no runs match --playbook "deploy api" --status failed; no playbook is served under that name`},
		{[]string{"--playbook", "a\x1b[31mb"}, `no runs match --playbook "a\x1b[31mb"; no playbook is served under that name`},
		{[]string{"--since", "2026-12-05T10:00:00+01:00"}, "no runs match --since 2026-12-05T10:00:00+01:00"},
		{[]string{"--playbook", "nightly-db"}, "no runs match --playbook nightly-db; no playbook is served under that name"},
	} {
		r := runEnv(t, envs, append([]string{"remote", "runs"}, c.args...)...)
		if got := strings.TrimSpace(r.stdout); r.code != ExitOK || got != c.want {
			t.Errorf("remote runs %q: %d stdout %q, want %q", c.args, r.code, got, c.want)
		}
	}
}
