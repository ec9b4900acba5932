package cli

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// countingStore counts the List calls made on a store.
type countingStore struct {
	store.Store
	lists int
}

func (c *countingStore) List(ctx context.Context, f history.Filter) ([]history.Run, error) {
	c.lists++
	return c.Store.List(ctx, f)
}

// listPairs is how history listed before: one List per status and
// trigger pair, merged newest first and cut to the limit.
func listPairs(ctx context.Context, st store.Store, r runsFilter) ([]history.Run, error) {
	var all []history.Run
	for _, s := range orAll(r.statuses) {
		for _, t := range orAll(r.triggers) {
			f := r.f
			f.Status, f.Trigger = report.Status(s), history.Trigger(t)
			runs, err := st.List(ctx, f)
			if err != nil {
				return nil, err
			}
			all = append(all, runs...)
		}
	}
	slices.SortFunc(all, func(a, b history.Run) int {
		if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	limit := cmp.Or(r.f.Limit, history.DefaultLimit)
	return all[:min(len(all), limit)], nil
}

// TestHistoryListOneQueryPerTrigger: history lists several statuses with
// one query per trigger, and lists the same runs, in the same order, as
// one query per status and trigger pair did, on a history that mixes
// statuses, triggers, playbooks and runs that share a millisecond.
func TestHistoryListOneQueryPerTrigger(t *testing.T) {
	ctx := context.Background()
	state := filepath.Join(t.TempDir(), "state")
	s, err := history.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	statuses := []string{"succeeded", "failed", "cancelled", "interrupted", "running"}
	triggers := []string{"cli", "schedule", "api"}
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	type row struct{ id, status string }
	var rows []row
	for i := range 40 {
		run := history.Run{
			ID:        fmt.Sprintf("r%02d", i),
			Playbook:  []string{"deploy", "backup"}[i%2],
			StartedAt: base.Add(time.Duration(i/3) * time.Second), // three runs a millisecond
			Trigger:   history.Trigger(triggers[i%3]),
		}
		if run.Trigger == history.TriggerSchedule {
			slot := run.StartedAt
			run.Slot = &slot
		}
		if err := s.RecordStart(ctx, run); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row{run.ID, statuses[(i*7/3)%len(statuses)]})
	}
	db, err := sql.Open("sqlite", filepath.Join(state, history.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, r := range rows {
		if _, err := db.Exec(`UPDATE runs SET status = ? WHERE id = ?`, r.status, r.id); err != nil {
			t.Fatal(err)
		}
	}
	cases := []runsFilter{
		{},
		{statuses: []string{"failed"}},
		{statuses: []string{"failed", "cancelled"}},
		{statuses: []string{"succeeded", "failed", "interrupted"}, f: history.Filter{Limit: 5}},
		{triggers: []string{"cli", "api"}},
		{statuses: []string{"failed", "running"}, triggers: []string{"schedule", "api"}},
		{statuses: []string{"succeeded", "cancelled"}, triggers: []string{"cli", "schedule", "api"}, f: history.Filter{Limit: 4}},
		{statuses: []string{"succeeded", "failed"}, triggers: []string{"cli", "api"}, f: history.Filter{Playbook: "deploy"}},
		{statuses: []string{"interrupted", "failed"}, f: history.Filter{Since: base.Add(5 * time.Second), Before: base.Add(10 * time.Second)}},
	}
	for _, rf := range cases {
		name := fmt.Sprintf("status %v trigger %v limit %d playbook %q", rf.statuses, rf.triggers, rf.f.Limit, rf.f.Playbook)
		want, err := listPairs(ctx, s, rf)
		if err != nil {
			t.Fatal(err)
		}
		c := &countingStore{Store: s}
		got, err := rf.list(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ids(got), ids(want)) {
			t.Errorf("%s: listed %v, one query a pair listed %v", name, ids(got), ids(want))
		}
		if n := len(orAll(rf.triggers)); c.lists != n {
			t.Errorf("%s: %d queries, want %d (one a trigger)", name, c.lists, n)
		}
		if len(rf.statuses) > 1 && len(want) == 0 {
			t.Errorf("%s: the history has no such run; the case proves nothing", name)
		}
	}
}

func ids(runs []history.Run) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r.ID
	}
	return out
}
