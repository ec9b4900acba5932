package history

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// walFrames is how many frames the WAL of s holds: the pages the
// transactions since the last checkpoint wrote.
func walFrames(t *testing.T, s *Store, mode string) int {
	t.Helper()
	var busy, frames, done int
	if err := s.db.QueryRow("PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &frames, &done); err != nil {
		t.Fatal(err)
	}
	return frames
}

// endsOf are the finished runs of starts, as their reports record them:
// same playbook, same start.
func endsOf(starts []Run) []Finished {
	ends := make([]Finished, len(starts))
	for i, st := range starts {
		ends[i] = Finished{Report: &report.Report{RunID: st.ID, Playbook: report.Playbook{Name: st.Playbook, Path: "/pb/" + st.Playbook + ".yaml"},
			Roles: []string{}, Status: report.StatusSucceeded, StartedAt: st.StartedAt, FinishedAt: st.StartedAt.Add(time.Second), DurationMS: 1000}}
	}
	return ends
}

// The end of a run whose start is recorded, with the same playbook,
// start and trigger, leaves the run's entries in runs_playbook and
// runs_trigger be: rewriting them wrote, for runs of many playbooks, a
// page of runs_playbook a run. Here a hundred runs of a hundred of a
// thousand playbooks end in one transaction: 8 pages, where setting
// every column wrote 109.
func TestEndLeavesTheStartsIndexEntries(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	// Twenty runs of each of a thousand playbooks before: runs_playbook
	// spans hundreds of pages.
	if _, err := s.db.Exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999)
		INSERT INTO runs (id, playbook, status, started_at, finished_at, duration_ms)
		SELECT printf('old-%08d', i), printf('p%04d', i % 1000), 'succeeded', ?1 + i * 1000, ?1 + i * 1000 + 10, 10 FROM n`, ms(base)); err != nil {
		t.Fatal(err)
	}
	at := base.Add(time.Hour * 24)
	starts := make([]Run, 100)
	for i := range starts {
		starts[i] = Run{ID: fmt.Sprintf("new-%03d", i), Playbook: fmt.Sprintf("p%04d", i*10), Path: "/pb/p.yaml", StartedAt: at.Add(time.Duration(i) * time.Millisecond)}
		if err := s.RecordStart(ctx, starts[i]); err != nil {
			t.Fatal(err)
		}
	}
	walFrames(t, s, "TRUNCATE")
	if err := s.RecordFinished(ctx, endsOf(starts)); err != nil {
		t.Fatal(err)
	}
	frames := walFrames(t, s, "PASSIVE")
	t.Logf("frames %d", frames)
	// Each run's runs_playbook entry is in a page of its own: a hundred
	// pages more when the end rewrites them.
	if frames > len(starts)/2 {
		t.Errorf("the ends of %d runs wrote %d pages; want at most %d", len(starts), frames, len(starts)/2)
	}
	for _, st := range starts[:3] {
		got, err := s.List(ctx, Filter{Playbook: st.Playbook, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != st.ID || got[0].Status != report.StatusSucceeded || !got[0].StartedAt.Equal(st.StartedAt) {
			t.Errorf("history of %s: %+v; want %s, succeeded, started at %s", st.Playbook, got, st.ID, st.StartedAt)
		}
	}
}

// An end that disagrees with its start row on the start time, the
// playbook or the trigger still records the end's: alone and in a batch
// with ends that agree.
func TestEndThatDisagreesWithItsStartIsRecorded(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	starts := []Run{
		{ID: "same", Playbook: "a", StartedAt: at, Trigger: TriggerSchedule},
		{ID: "moved", Playbook: "a", StartedAt: at},
		{ID: "renamed", Playbook: "a", StartedAt: at},
		{ID: "retriggered", Playbook: "a", StartedAt: at},
		{ID: "alone", Playbook: "a", StartedAt: at},
	}
	for _, st := range starts {
		if err := s.RecordStart(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	ends := endsOf(starts)
	later := at.Add(time.Minute)
	ends[1].Report.StartedAt = later
	ends[2].Report.Playbook.Name = "b"
	ends[3].Trigger = TriggerAPI
	ends[4].Report.StartedAt = later
	if err := s.RecordFinished(ctx, ends[:4]); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFinish(ctx, ends[4].Report, "", ""); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		playbook string
		at       time.Time
		trigger  Trigger
	}{{"a", at, TriggerSchedule}, {"a", later, TriggerCLI}, {"b", at, TriggerCLI}, {"a", at, TriggerAPI}, {"a", later, TriggerCLI}}
	for i, w := range want {
		got, err := s.Get(ctx, starts[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != report.StatusSucceeded || got.Playbook != w.playbook || !got.StartedAt.Equal(w.at) || got.Trigger != w.trigger {
			t.Errorf("%s: %s of %s started at %s by %s; want succeeded of %s at %s by %s", got.ID, got.Status, got.Playbook, got.StartedAt, got.Trigger, w.playbook, w.at, w.trigger)
		}
		// The indexes hold the row where it is now.
		list, err := s.List(ctx, Filter{Playbook: w.playbook, Trigger: w.trigger, Since: w.at, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range list {
			found = found || r.ID == got.ID
		}
		if !found {
			t.Errorf("%s: not listed under playbook %s, trigger %s", got.ID, w.playbook, w.trigger)
		}
	}
}
