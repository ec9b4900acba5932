package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRemoteCancelUnknownRunSaysWhatToDo: a run id the server does not
// know is not cancelled by guess; the error says to give the whole id,
// and names the runs a short one is the start of.
func TestRemoteCancelUnknownRunSaysWhatToDo(t *testing.T) {
	var cancels atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == "POST" {
			cancels.Add(1)
			w.WriteHeader(http.StatusNotFound)
			id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/runs/"), "/cancel")
			fmt.Fprintf(w, `{"error":{"class":"not_found","message":"no run \"%s\""}}`, id)
			return
		}
		fmt.Fprint(w, `{"runs":[{"id":"20261206T164506-d606"},{"id":"20261206T164506-8eef"},{"id":"20261206T164458-76c8"}]}`)
	}))
	defer srv.Close()
	envs := map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}
	runEnv(t, envs, "remote", "cancel", "20261206T164506").want(t, ExitUsage, nil, []string{
		`no run "20261206T164506"`,
		"20261206T164506 is the start of 2 runs' ids, 20261206T164506-d606, 20261206T164506-8eef: give the whole run id, as 'arsenal-run remote runs' lists it",
	})
	runEnv(t, envs, "remote", "cancel", "20261206T164458").want(t, ExitUsage, nil, []string{
		"20261206T164458 is the start of run 20261206T164458-76c8: give the whole run id",
	})
	runEnv(t, envs, "remote", "cancel", "nope").want(t, ExitUsage, nil, []string{
		"no run \"nope\"\narsenal-run: give the whole run id, as 'arsenal-run remote runs' lists it",
	})
	// A character mistyped names the run it meant, to give whole.
	runEnv(t, envs, "remote", "cancel", "20261206T164458-76c9").want(t, ExitUsage, nil, []string{
		"did you mean 20261206T164458-76c8? give the whole run id",
	})
	if n := cancels.Load(); n != 4 {
		t.Errorf("%d cancel requests, want 4 (one each, none for a guessed id)", n)
	}
}

// TestRemoteCancelOfARunBeingCancelled: a cancel of a run that someone
// cancelled already (another operator, a retry) says so and exits 0, as
// the run stops as asked; it was an error, exit 2. A run that ended is
// still a 409 error.
func TestRemoteCancelOfARunBeingCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/runs/"), "/cancel")
		if id == "ended" {
			fmt.Fprint(w, `{"error":{"class":"conflict","message":"run ended already ended: succeeded","run_id":"ended","reason":"ended"}}`)
			return
		}
		if id == "reworded" {
			// The reason counts, not the message, which is for people.
			fmt.Fprint(w, `{"error":{"class":"conflict","message":"bob stops this run already","run_id":"reworded","reason":"being_cancelled"}}`)
			return
		}
		fmt.Fprintf(w, `{"error":{"class":"conflict","message":"run %s is being cancelled already; GET /api/v1/runs/%s shows when it ends","run_id":%q,"reason":"being_cancelled"}}`, id, id, id)
	}))
	defer srv.Close()
	envs := map[string]string{"ARSENAL_SERVER": srv.URL, "ARSENAL_API_KEY": "ak_test"}
	runEnv(t, envs, "remote", "cancel", "20261206T164506-d606").want(t, ExitOK,
		[]string{"20261206T164506-d606 is being cancelled already"}, nil)
	runEnv(t, envs, "remote", "cancel", "reworded").want(t, ExitOK, []string{"reworded is being cancelled already"}, nil)
	runEnv(t, envs, "remote", "cancel", "ended").want(t, ExitUsage, nil, []string{"already ended: succeeded"})
}
