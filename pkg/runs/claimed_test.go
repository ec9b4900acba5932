package runs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// startsStore is a store that keeps the starts the service records.
type startsStore struct {
	store.Store
	mu     sync.Mutex
	starts map[string]history.Run
}

func (s *startsStore) QueueStart(run history.Run) func() error {
	s.keep(run)
	return s.Store.(store.StartQueuer).QueueStart(run)
}

func (s *startsStore) RecordStart(ctx context.Context, run history.Run) error {
	s.keep(run)
	return s.Store.RecordStart(ctx, run)
}

func (s *startsStore) keep(run history.Run) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.starts[run.ID] = run
}

func (s *startsStore) start(id string) (history.Run, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	run, ok := s.starts[id]
	return run, ok
}

// The claim of a run of StartClaimed is given the run's start as the
// service then records it: the playbook's path and sha256, the caller's
// roles, trigger, slot and name, the inputs masked as the report masks
// them (a secret's text inside the other inputs too), and dry_run. So for
// a dry run that starts, and for a run its concurrency group skips (its
// claim is made then too, before it is recorded; a dry run takes no
// group).
func TestClaimIsGivenTheRecordedStart(t *testing.T) {
	h, err := history.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &startsStore{Store: h, starts: map[string]history.Run{}}
	m := newManager(t, Config{Store: st}, Limits{})
	holder, err := m.Start(context.Background(), Request{Path: writePlaybook(t, `version: 1
name: holder
concurrency: {group: g, policy: queue}
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
`)})
	if err != nil {
		t.Fatal(err)
	}
	waitStep(t, holder, "nap")
	defer func() {
		holder.Cancel(nil)
		wait(t, holder)
	}()

	slot := time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)
	caller := Caller{Roles: []string{"operator"}, Name: "ops", Trigger: TriggerSchedule, Slot: slot}
	in := map[string]any{"token": "hunter2", "note": "sent with hunter2"}
	masked := map[string]any{"token": "***", "note": "sent with ***"}
	for _, tc := range []struct {
		name, concurrency string
		dryRun            bool
		status            report.Status
	}{
		{"a dry run", "", true, report.StatusSucceeded},
		{"skipped by its group", "concurrency: {group: g, policy: skip}\n", false, report.StatusCancelled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writePlaybook(t, `version: 1
name: claimed
`+tc.concurrency+`inputs:
  token: {type: string, secret: true}
  note: {type: string}
steps:
  - {id: a, op: control.noop}
`)
			claims := make(chan history.Run, 2)
			run, err := m.StartClaimed(context.Background(), Request{Path: path, Inputs: in, DryRun: tc.dryRun, Requeue: true, Caller: caller},
				func(_ context.Context, start history.Run) error {
					claims <- start
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if rep := wait(t, run); rep.Status != tc.status {
				t.Fatalf("the run ended %s, want %s", rep.Status, tc.status)
			}
			if len(claims) != 1 {
				t.Fatalf("the claim was made %d times, want once", len(claims))
			}
			claimed := <-claims
			recorded, ok := st.start(run.ID())
			if !ok {
				t.Fatal("no start recorded")
			}
			if diff := cmp.Diff(recorded, claimed, cmpopts.IgnoreFields(history.Run{}, "StartedAt")); diff != "" {
				t.Errorf("the claimed start (+) is not the recorded one (-):\n%s", diff)
			}
			// The claim reads the clock when it is made; the start
			// recorded is the report's, which for a run that never
			// started is when it was asked for.
			if claimed.StartedAt.IsZero() || claimed.StartedAt.Before(run.queued) {
				t.Errorf("claimed as started at %v, the run asked for at %v", claimed.StartedAt, run.queued)
			}
			want := history.Run{ID: run.ID(), Playbook: "claimed", Path: path, Roles: caller.Roles, Status: history.StatusRunning,
				Inputs: masked, Trigger: history.TriggerSchedule, Slot: &slot, StartedBy: "ops", DryRun: tc.dryRun}
			if diff := cmp.Diff(want, claimed, cmpopts.IgnoreFields(history.Run{}, "StartedAt", "SHA256", "ReportPath")); diff != "" {
				t.Errorf("the claimed start (-want +got):\n%s", diff)
			}
			if claimed.SHA256 == "" || claimed.ReportPath == "" {
				t.Errorf("the claimed start has sha256 %q and report path %q; want both", claimed.SHA256, claimed.ReportPath)
			}
		})
	}
}
