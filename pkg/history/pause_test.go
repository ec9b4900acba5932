package history

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestPauseAndResume pauses a schedule, pauses it again (nothing
// changes, the first pause holds), reopens the database (the pause
// stays), resumes it, and resumes it again (ErrNotPaused).
func TestPauseAndResume(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(90 * time.Minute)
	p, changed, err := s.PauseSchedule(ctx, Pause{Playbook: "nightly", By: "alice", At: at})
	if err != nil || !changed {
		t.Fatalf("PauseSchedule = %v, %v; want changed", changed, err)
	}
	want := Pause{Playbook: "nightly", By: "alice", At: at}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("pause (-want +got):\n%s", diff)
	}
	again, changed, err := s.PauseSchedule(ctx, Pause{Playbook: "nightly", By: "bob", At: at.Add(time.Hour)})
	if err != nil || changed {
		t.Fatalf("second PauseSchedule = %v, %v; want unchanged", changed, err)
	}
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("a second pause replaced the first (-want +got):\n%s", diff)
	}
	if _, _, err := s.PauseSchedule(ctx, Pause{Playbook: "hourly", By: "bob", At: at}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Pauses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantAll := map[string]Pause{"nightly": want, "hourly": {Playbook: "hourly", By: "bob", At: at}}
	if diff := cmp.Diff(wantAll, got); diff != "" {
		t.Errorf("pauses after reopening (-want +got):\n%s", diff)
	}
	ended, err := s.ResumeSchedule(ctx, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, ended); diff != "" {
		t.Errorf("ResumeSchedule returned (-want +got):\n%s", diff)
	}
	if _, err := s.ResumeSchedule(ctx, "nightly"); !errors.Is(err, ErrNotPaused) {
		t.Errorf("resuming a running schedule: %v, want ErrNotPaused", err)
	}
	got, err = s.Pauses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["nightly"]; ok || len(got) != 1 {
		t.Errorf("pauses after resuming nightly: %v", got)
	}
}

// TestStartedBy records who started a run, at its start and for a run
// recorded whole at its end, and keeps it when the end is recorded
// without it.
func TestStartedBy(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	if err := s.RecordStart(ctx, Run{ID: "live", Playbook: "restart-workers", StartedAt: t0, Trigger: TriggerAPI, StartedBy: "oncall-key"}); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, sampleReport("live", t0), "")
	if err := s.RecordFinished(ctx, []Finished{{Report: sampleReport("exec", t0.Add(time.Second)), Trigger: TriggerAPI, StartedBy: "ci"}}); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, sampleReport("cli", t0.Add(2*time.Second)), "")
	for id, want := range map[string]string{"live": "oncall-key", "exec": "ci", "cli": ""} {
		run, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if run.StartedBy != want {
			t.Errorf("run %s: started_by %q, want %q", id, run.StartedBy, want)
		}
	}
}
