package server

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestListRunsPagesEveryRunOnce: paging GET /api/v1/runs by the next of
// each answer lists every run exactly once, in the order of one full
// listing, though many runs share a started_at millisecond (as the
// executes of a batch do) and one run is still going in this process.
func TestListRunsPagesEveryRunOnce(t *testing.T) {
	ts := newTestServer(t)
	store := ts.mgr.Service().History()
	ctx := context.Background()
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i := range 40 {
		// Eight runs per millisecond.
		at := t0.Add(time.Duration(i/8) * time.Millisecond)
		rep := &report.Report{ReportVersion: report.FormatVersion, RunID: fmt.Sprintf("%s-%032x", at.UTC().Format("20060102T150405"), i),
			Playbook: report.Playbook{Name: "hello"}, Roles: []string{}, Inputs: map[string]any{}, Status: report.StatusSucceeded,
			StartedAt: at, FinishedAt: at, Steps: []report.Step{}, Outputs: map[string]any{}}
		if err := store.RecordFinish(ctx, rep, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	live := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(live)
	defer h.Cancel(nil)

	ids := func(m map[string]any) []string {
		var out []string
		for _, r := range m["runs"].([]any) {
			out = append(out, r.(map[string]any)["id"].(string))
		}
		return out
	}
	all := ts.get("viewer", "/api/v1/runs?limit=1000").want(t, 200).json(t)
	if _, ok := all["next"]; ok {
		t.Errorf("a page that is not full has next: %v", all["next"])
	}
	want := ids(all)
	if len(want) != 41 || want[0] != live {
		t.Fatalf("the full listing has %d runs, the live one first? %v", len(want), want)
	}
	var got []string
	next := ""
	for range 20 {
		path := "/api/v1/runs?limit=7"
		if next != "" {
			path += "&before=" + url.QueryEscape(next)
		}
		page := ts.get("viewer", path).want(t, 200).json(t)
		got = append(got, ids(page)...)
		n, ok := page["next"].(string)
		if !ok {
			break
		}
		next = n
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged by next (%d runs)\n%v\nwant (%d)\n%v", len(got), got, len(want), want)
	}

	// A before that is neither a cursor nor a time says what to give.
	e := ts.get("viewer", "/api/v1/runs?before=abc").wantError(t, 400, ClassValidation)
	if e["field"] != "before" {
		t.Errorf("field %v", e["field"])
	}
}

// TestListRunsBeforeWithUnescapedPlus: a before time with a + offset
// typed into a URL as it is (curl '…?before=2026-12-05T00:00:00+01:00'),
// whose + a query string reads as a space, lists the runs started before
// that time, as %2B does, rather than being refused as no RFC 3339 time.
func TestListRunsBeforeWithUnescapedPlus(t *testing.T) {
	ts := newTestServer(t)
	store := ts.mgr.Service().History()
	ctx := context.Background()
	at := time.Date(2026, 12, 4, 22, 30, 0, 0, time.UTC) // 23:30 at +01:00
	for i, start := range []time.Time{at, at.Add(time.Hour)} {
		rep := &report.Report{ReportVersion: report.FormatVersion, RunID: fmt.Sprintf("%s-%032x", start.Format("20060102T150405"), i),
			Playbook: report.Playbook{Name: "hello"}, Roles: []string{}, Inputs: map[string]any{}, Status: report.StatusSucceeded,
			StartedAt: start, FinishedAt: start, Steps: []report.Step{}, Outputs: map[string]any{}}
		if err := store.RecordFinish(ctx, rep, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, before := range []string{"2026-12-05T00:00:00%2B01:00", "2026-12-05T00:00:00+01:00"} {
		runs := ts.get("viewer", "/api/v1/runs?before="+before).want(t, 200).json(t)["runs"].([]any)
		if len(runs) != 1 || runs[0].(map[string]any)["started_at"] != "2026-12-04T22:30:00Z" {
			t.Errorf("before=%s: %v; want the run of 22:30 UTC alone", before, runs)
		}
	}
}

// TestListRunsNextOnlyWhenThereAreOlder: next comes when runs older than
// the page are left, not whenever the page is full: a page holding
// exactly the last runs of its filters has none, so that a client told
// there are older runs finds some, whether the page's runs are in history
// or still going in this process.
func TestListRunsNextOnlyWhenThereAreOlder(t *testing.T) {
	ts := newTestServer(t)
	store := ts.mgr.Service().History()
	ctx := context.Background()
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i := range 4 {
		at := t0.Add(time.Duration(i) * time.Second)
		rep := &report.Report{ReportVersion: report.FormatVersion, RunID: fmt.Sprintf("%s-%032x", at.UTC().Format("20060102T150405"), i),
			Playbook: report.Playbook{Name: "hello"}, Roles: []string{}, Inputs: map[string]any{}, Status: report.StatusSucceeded,
			StartedAt: at, FinishedAt: at, Steps: []report.Step{}, Outputs: map[string]any{}}
		if err := store.RecordFinish(ctx, rep, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	page := func(query string) (int, string) {
		m := ts.get("viewer", "/api/v1/runs?"+query).want(t, 200).json(t)
		next, _ := m["next"].(string)
		return len(m["runs"].([]any)), next
	}
	if n, next := page("limit=4"); n != 4 || next != "" {
		t.Errorf("limit=4 of 4 runs: %d runs, next %q; want 4 and no next", n, next)
	}
	n, next := page("limit=3")
	if n != 3 || next == "" {
		t.Fatalf("limit=3 of 4 runs: %d runs, next %q; want 3 and a next", n, next)
	}
	if n, last := page("limit=1&before=" + url.QueryEscape(next)); n != 1 || last != "" {
		t.Errorf("the last page, of 1 run: %d runs, next %q; want 1 and no next", n, last)
	}

	// A run still going counts as one of the page's.
	live := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(live)
	defer h.Cancel(nil)
	if n, next := page("limit=5"); n != 5 || next != "" {
		t.Errorf("limit=5 of 5 runs, one going: %d runs, next %q; want 5 and no next", n, next)
	}
	if n, next := page("limit=4"); n != 4 || next == "" {
		t.Errorf("limit=4 of 5 runs, one going: %d runs, next %q; want 4 and a next", n, next)
	}
}
