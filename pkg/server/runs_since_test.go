package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestListRunsSince: "what ran in the last hour" is since=1h, as 'history
// --since' takes it (how long ago, or an RFC 3339 time, its + offset typed
// as it is too), for the runs of history and those still going in this
// process alike; what it cannot read, and a since after before, are
// refused with the field since and what to give.
func TestListRunsSince(t *testing.T) {
	ts := newTestServer(t)
	store := ts.mgr.Service().History()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	for i, start := range []time.Time{now.Add(-3 * time.Hour), now.Add(-30 * time.Minute)} {
		rep := &report.Report{ReportVersion: report.FormatVersion, RunID: fmt.Sprintf("%s-%032x", start.Format("20060102T150405"), i),
			Playbook: report.Playbook{Name: "hello"}, Roles: []string{}, Inputs: map[string]any{}, Status: report.StatusSucceeded,
			StartedAt: start, FinishedAt: start, Steps: []report.Step{}, Outputs: map[string]any{}}
		if err := store.RecordFinish(ctx, rep, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	live := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(live)
	defer h.Cancel(nil)

	playbooks := func(query string) string {
		var out []string
		for _, r := range ts.get("viewer", "/api/v1/runs?"+query).want(t, 200).json(t)["runs"].([]any) {
			out = append(out, r.(map[string]any)["playbook"].(string))
		}
		return strings.Join(out, " ")
	}
	twoHoursAgo := now.Add(-2 * time.Hour).In(time.FixedZone("", 3600)).Format(time.RFC3339)
	for query, want := range map[string]string{
		"since=1h":                "sleeper hello",
		"since=2d":                "sleeper hello hello",
		"since=" + twoHoursAgo:    "sleeper hello", // the + read as a space
		"since=1h&playbook=hello": "hello",
		"since=" + now.Add(time.Hour).Format(time.RFC3339):            "",
		"since=4h&before=" + now.Add(-time.Hour).Format(time.RFC3339): "hello",
	} {
		if got := playbooks(query); got != want {
			t.Errorf("%s: %q; want %q", query, got, want)
		}
	}
	for query, want := range map[string]string{
		"since=yesterday": "give since=",
		"since=1x":        `since: "1x" is neither how long ago nor an RFC 3339 time`,
		"since=-1h":       "not a positive duration",
		"since=1h&before=" + now.Add(-2*time.Hour).Format(time.RFC3339): "since=1h (",
	} {
		e := ts.get("viewer", "/api/v1/runs?"+query).wantError(t, 400, ClassValidation)
		if e["field"] != "since" || !strings.Contains(e["message"].(string), want) {
			t.Errorf("%s: field %v, %q; want field since and %q", query, e["field"], e["message"], want)
		}
	}
}

// TestListRunsEmptyHintsAtThePlaybook: ?playbook=Hello, a name no served
// playbook has (names are matched as written), answers no runs with a
// hint that names the playbook it may be a typo of, as 'history' does; a
// client that reads runs alone ignores it, and a served playbook without
// runs has none.
func TestListRunsEmptyHintsAtThePlaybook(t *testing.T) {
	ts := newTestServer(t)
	for query, want := range map[string]string{
		"playbook=Hello":          `no playbook "Hello" is served (did you mean "hello"?)`,
		"playbook=hello.yaml":     `playbook="hello.yaml": give the name a playbook declares, not its file`,
		"playbook=zzzzzzzzzzzzzz": `no playbook "zzzzzzzzzzzzzz" is served; the served playbooks are `,
		"playbook=hello":          "",
	} {
		m := ts.get("viewer", "/api/v1/runs?"+query).want(t, 200).json(t)
		hint, _ := m["hint"].(string)
		if len(m["runs"].([]any)) != 0 || !strings.HasPrefix(hint, want) || want == "" && hint != "" {
			t.Errorf("%s: %v; want no runs and hint %q", query, m, want)
		}
	}
}
