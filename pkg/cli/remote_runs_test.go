package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestRemoteRunsDurations: 'remote runs' gives a run still queued or
// going on no duration, as 'history' does, rather than a 0ms that reads
// as a run that ended at once; an interrupted run's reads as at least.
func TestRemoteRunsDurations(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/runs" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"runs": [
			{"id": "r-queued", "playbook": "deploy", "status": "queued", "trigger": "api", "started_at": "2026-12-02T09:12:41Z", "duration_ms": 0},
			{"id": "r-running", "playbook": "deploy", "status": "running", "trigger": "api", "started_at": "2026-12-02T09:12:40Z", "duration_ms": 0},
			{"id": "r-interrupted", "playbook": "deploy", "status": "interrupted", "trigger": "cli", "started_at": "2026-12-02T09:11:00Z",
			 "finished_at": "2026-12-02T09:11:02.5Z", "duration_ms": 2500},
			{"id": "r-done", "playbook": "deploy", "status": "succeeded", "trigger": "cli", "started_at": "2026-12-02T09:10:03Z",
			 "finished_at": "2026-12-02T09:10:03Z", "duration_ms": 0}]}`)
	}))
	defer srv.Close()
	r := runEnv(t, map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}, "remote", "runs")
	if r.code != ExitOK {
		t.Fatalf("remote runs: %d %s", r.code, r.stderr)
	}
	want := map[string]string{"r-queued": "-", "r-running": "-", "r-interrupted": "≥2.5s", "r-done": "0ms"}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		f := strings.Fields(line)
		if got := f[len(f)-1]; got != want[f[0]] {
			t.Errorf("duration of %s = %q, want %q\n%s", f[0], got, want[f[0]], r.stdout)
		}
		delete(want, f[0])
	}
	if len(want) != 0 {
		t.Errorf("runs not listed: %v\n%s", want, r.stdout)
	}
}

// TestRemoteRunsFilters: 'remote runs' sends --status in lower case, as
// 'history' takes it in any case; an empty answer says no run matches
// rather than printing a header alone; a --limit past the server's most
// is refused before any request.
func TestRemoteRunsFilters(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	sent := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(queries)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		if s := r.URL.Query().Get("status"); s != "" && s != strings.ToLower(s) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error": {"class": "invalid", "message": "status=%q is not a run status"}}`, s)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"runs": []}`)
	}))
	defer srv.Close()
	envs := map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}
	r := runEnv(t, envs, "remote", "runs", "--status", "FAILED", "--playbook", "deploy")
	if r.code != ExitOK {
		t.Fatalf("remote runs --status FAILED: %d %s", r.code, r.stderr)
	}
	if got, want := strings.TrimSpace(r.stdout), "no runs match --playbook deploy --status failed"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	r = runEnv(t, envs, "remote", "runs")
	if got, want := strings.TrimSpace(r.stdout), "no runs recorded"; r.code != ExitOK || got != want {
		t.Errorf("remote runs: %d stdout %q, want %q", r.code, got, want)
	}
	n := sent()
	r = runEnv(t, envs, "remote", "runs", "--limit", "1001")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--limit must be 1 to 1000") {
		t.Errorf("--limit 1001: %d %s", r.code, r.stderr)
	}
	if sent() != n {
		t.Errorf("--limit 1001 sent a request")
	}

	// --since as 'history' takes it: sent as given, for the server to
	// judge by its clock; a time without a zone, or --since given to
	// another subcommand, is refused before any request.
	r = runEnv(t, envs, "remote", "runs", "--since", "2d")
	if got, want := strings.TrimSpace(r.stdout), "no runs match --since 2d"; r.code != ExitOK || got != want {
		t.Errorf("remote runs --since 2d: %d stdout %q, want %q", r.code, got, want)
	}
	mu.Lock()
	last := queries[len(queries)-1]
	mu.Unlock()
	if last != "since=2d" {
		t.Errorf("remote runs --since 2d sent %q; want since=2d", last)
	}
	n = sent()
	r = runEnv(t, envs, "remote", "runs", "--since", "2026-12-05")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "or --since 2026-12-05T00:00:00Z") {
		t.Errorf("--since 2026-12-05: %d %s", r.code, r.stderr)
	}
	r = runEnv(t, envs, "remote", "ops", "list", "--since", "1h")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--since is for runs, not ops list") {
		t.Errorf("ops list --since 1h: %d %s", r.code, r.stderr)
	}
	if sent() != n {
		t.Errorf("a refused --since sent a request")
	}
}

// TestRemoteRunsNamesOtherPlaybooks: a --playbook that no run of the
// server matches is answered as 'history' answers it: with the playbooks
// the latest runs are of, and the one it may be a typo of.
func TestRemoteRunsNamesOtherPlaybooks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("playbook") != "" {
			fmt.Fprint(w, `{"runs": []}`)
			return
		}
		fmt.Fprint(w, `{"runs": [
			{"id": "20261205T101500-aa", "playbook": "nightly", "status": "succeeded", "trigger": "schedule", "started_at": "2026-12-05T10:15:00Z"},
			{"id": "20261205T101000-bb", "playbook": "deploy-api", "status": "failed", "trigger": "api", "started_at": "2026-12-05T10:10:00Z"}]}`)
	}))
	defer srv.Close()
	envs := map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}
	r := runEnv(t, envs, "remote", "runs", "--playbook", "deploy-apl")
	if got, want := strings.TrimSpace(r.stdout), `no runs match --playbook deploy-apl (did you mean "deploy-api"?); the latest runs are of deploy-api, nightly`; r.code != ExitOK || got != want {
		t.Errorf("exit %d, stdout %q\nwant %q", r.code, got, want)
	}
	r = runEnv(t, envs, "remote", "runs", "--playbook", "deploy-api", "--status", "cancelled")
	if got, want := strings.TrimSpace(r.stdout), "no runs match --playbook deploy-api --status cancelled"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	r = runEnv(t, envs, "remote", "runs", "--playbook", "playbooks/deploy.yaml")
	if got := strings.TrimSpace(r.stdout); !strings.HasSuffix(got, "--playbook takes the name: a playbook declares, not its file") {
		t.Errorf("a file given: stdout %q", got)
	}
}

// TestRemoteRunsCleansTerminalText: what a server answers reaches the
// terminal without its escape sequences and control characters, in the
// table and in the names a --playbook no run matches is compared with, so
// a hostile server or playbook name cannot drive the terminal.
func TestRemoteRunsCleansTerminalText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("playbook") != "" {
			fmt.Fprint(w, `{"runs": []}`)
			return
		}
		fmt.Fprint(w, `{"runs": [{"id": "r-1\u001b]0;owned\u0007", "playbook": "deploy\u001b[2J\r", "status": "succeeded\u001b[31m",
			"trigger": "api\u009b1m", "started_at": "2026-12-02T09:10:03Z", "finished_at": "2026-12-02T09:10:03Z", "duration_ms": 0}]}`)
	}))
	defer srv.Close()
	envs := map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}
	for _, args := range [][]string{{"remote", "runs"}, {"remote", "runs", "--playbook", "deplyo"}} {
		r := runEnv(t, envs, args...)
		if r.code != ExitOK {
			t.Fatalf("%v: %d %s", args, r.code, r.stderr)
		}
		if strings.ContainsAny(r.stdout, "\x1b\x07\r\u009b") || !strings.Contains(r.stdout, "deploy") {
			t.Errorf("%v: stdout holds terminal controls or lacks the name: %q", args, r.stdout)
		}
	}
}

// TestRemoteRunsTakesTheServersHint: a server that says why no run
// matches (a playbook it does not serve, the one meant) is taken at its
// word, in one request; before, the hint was dropped and a second request
// listed a thousand runs to guess at it.
func TestRemoteRunsTakesTheServersHint(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"runs": [], "hint": "no playbook \"deploy-apl\" is served (did you mean \"deploy-api\"?)"}`)
	}))
	defer srv.Close()
	envs := map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}
	r := runEnv(t, envs, "remote", "runs", "--playbook", "deploy-apl")
	if got, want := strings.TrimSpace(r.stdout), `no runs match --playbook deploy-apl; no playbook "deploy-apl" is served (did you mean "deploy-api"?)`; r.code != ExitOK || got != want {
		t.Errorf("exit %d, stdout %q\nwant %q", r.code, got, want)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
