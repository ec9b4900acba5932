package server

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestListRunsSeveralStatuses: status takes several statuses separated by
// commas (given twice, it says to write them so), lists the
// runs of any of them, of history and of this process, newest first and
// paged by next; an empty item or a word that is no status is refused
// naming the field and the statuses there are.
func TestListRunsSeveralStatuses(t *testing.T) {
	ts := newTestServer(t)
	store := ts.mgr.Service().History()
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	ids := map[report.Status][]string{}
	for i, st := range []report.Status{report.StatusSucceeded, report.StatusFailed, report.StatusCancelled, report.StatusSucceeded, report.StatusFailed} {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		id := fmt.Sprintf("%s-%032x", at.UTC().Format("20060102T150405"), i)
		rep := &report.Report{ReportVersion: report.FormatVersion, RunID: id,
			Playbook: report.Playbook{Name: "hello"}, Roles: []string{}, Inputs: map[string]any{}, Status: st,
			StartedAt: at, FinishedAt: at, Steps: []report.Step{}, Outputs: map[string]any{}}
		if err := store.RecordFinish(context.Background(), rep, "", ""); err != nil {
			t.Fatal(err)
		}
		ids[st] = append([]string{id}, ids[st]...) // newest first
	}
	live := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	h, _ := ts.mgr.Get(live)
	defer h.Cancel(nil)
	waitEvent(t, h, "step_started", "nap")

	list := func(query string) ([]string, string) {
		t.Helper()
		m := ts.get("viewer", "/api/v1/runs"+query).want(t, 200).json(t)
		var out []string
		for _, r := range m["runs"].([]any) {
			out = append(out, r.(map[string]any)["id"].(string))
		}
		next, _ := m["next"].(string)
		return out, next
	}
	failedOrCancelled := []string{ids[report.StatusFailed][0], ids[report.StatusCancelled][0], ids[report.StatusFailed][1]}
	for query, want := range map[string][]string{
		"?status=failed,cancelled":              failedOrCancelled,
		"?status=cancelled,failed,failed":       failedOrCancelled,
		"?status=running,cancelled":             {live, ids[report.StatusCancelled][0]},
		"?status=queued,running":                {live},
		"?status=failed,cancelled&playbook=xyz": nil,
	} {
		if got, _ := list(query); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s lists %v, want %v", query, got, want)
		}
	}
	// Paged, each run once.
	var got []string
	query := "?status=failed,cancelled&limit=2"
	for range 3 {
		page, next := list(query)
		got = append(got, page...)
		if next == "" {
			break
		}
		query = "?status=failed,cancelled&limit=2&before=" + url.QueryEscape(next)
	}
	if fmt.Sprint(got) != fmt.Sprint(failedOrCancelled) {
		t.Errorf("paged by two: %v, want %v", got, failedOrCancelled)
	}

	for query, want := range map[string]string{
		"?status=failed,canceled":         `status="failed,canceled": "canceled" is not a run status (did you mean "cancelled"?); give one of succeeded, failed, cancelled, running, interrupted, skipped, missed, queued, or several separated by commas`,
		"?status=Failed":                  `status="Failed" is not a run status (did you mean "failed"?)`,
		"?status=failed,":                 `status="failed," has an empty item; give one status or several separated by single commas, like status=failed,cancelled`,
		"?status=failed&status=cancelled": `query parameter status is given 2 times; give it once, with several statuses separated by commas: status=failed,cancelled`,
	} {
		e := ts.get("viewer", "/api/v1/runs"+query).wantError(t, 400, ClassValidation)
		if msg, _ := e["message"].(string); e["field"] != "status" || !strings.Contains(msg, want) {
			t.Errorf("%s: %v, want field status and %q", query, e, want)
		}
	}
}
