package runs

import (
	"context"
	"testing"
)

// TestServiceBaseURLLinksRuns: a service with a BaseURL (serve's and
// schedule's --base-url) gives the runs whose request brings none the
// link of their page, as run --base-url does; a request's own wins.
// Before, runs started through the API, the console or a schedule had
// an empty run.url, and their notifications no link.
func TestServiceBaseURLLinksRuns(t *testing.T) {
	m := newManager(t, Config{StateDir: t.TempDir(), BaseURL: "https://arsenal.example.com"}, Limits{MaxRunning: 1, MaxQueued: 1})
	pb := writePlaybook(t, "version: 1\nname: link\nsteps:\n  - {id: a, op: control.set, with: {values: {url: \"${{ run.url }}\"}}}\n")
	for _, tc := range []struct{ base, want string }{
		{"", "https://arsenal.example.com/runs/"},
		{"https://other.example.com/r/{run_id}", "https://other.example.com/r/"},
	} {
		h, err := m.Start(context.Background(), Request{Path: pb, BaseURL: tc.base, Caller: Caller{Trigger: TriggerSchedule, Name: "scheduler"}})
		if err != nil {
			t.Fatal(err)
		}
		rep := wait(t, h)
		out, _ := rep.Steps[0].Output.(map[string]any)
		values, _ := out["values"].(map[string]any)
		got, _ := values["url"].(string)
		if got != tc.want+rep.RunID {
			t.Errorf("request base %q: run.url %q, want %q", tc.base, got, tc.want+rep.RunID)
		}
	}
}
