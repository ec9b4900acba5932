package server

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestSharedQueueListSaysWhatRunsWaitFor: the runs waiting in the shared
// queue of --state URL are listed, as a single server's queued runs are,
// with waiting: what they wait for and how many runs are ahead of each.
// They used to be listed without it, so that nothing said why a run had
// not started or how far it was from starting.
func TestSharedQueueListSaysWhatRunsWaitFor(t *testing.T) {
	c := startCluster(t)
	ts, _ := newQueueServer(t, c, c.NewDatabase(t), 10) // takes no job
	var ids []string
	for range 3 {
		r := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202)
		ids = append(ids, r.json(t)["run_id"].(string))
	}
	var list struct {
		Runs []struct {
			ID      string      `json:"id"`
			Waiting *runs.Place `json:"waiting"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(ts.get("operator", "/api/v1/runs?status=queued").want(t, 200).body, &list); err != nil {
		t.Fatal(err)
	}
	ahead := map[string]int{}
	for _, r := range list.Runs {
		if r.Waiting == nil || r.Waiting.For != runs.WaitsForReplica || r.Waiting.Message == "" {
			t.Errorf("run %s waits with %+v, want for %q and a message", r.ID, r.Waiting, runs.WaitsForReplica)
			continue
		}
		ahead[r.ID] = r.Waiting.Ahead
	}
	want := map[string]int{ids[0]: 0, ids[1]: 1, ids[2]: 2}
	if diff := cmp.Diff(want, ahead); diff != "" {
		t.Errorf("runs ahead of each (-want +got):\n%s", diff)
	}
}
