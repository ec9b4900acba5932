package history

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// slotModel claims slots one at a time, as ClaimSlots must appear to: a
// slot is refused when its playbook has a slot as new or newer, or when
// it was recorded before.
type slotModel struct {
	last, since map[string]time.Time
	recorded    map[slotKey]SlotOutcome
	runs        map[slotKey]report.Status // the run rows of slots that did not run
	decided     map[slotKey]time.Time     // when each of those was decided
}

type slotKey struct {
	Playbook string
	Slot     int64
}

func (m *slotModel) claim(sl Slot) bool {
	last, ok := m.last[sl.Playbook]
	key := slotKey{sl.Playbook, ms(sl.Slot)}
	if _, dup := m.recorded[key]; dup || ok && !sl.Slot.After(last) {
		return false
	}
	if _, ok := m.since[sl.Playbook]; !ok {
		m.since[sl.Playbook] = sl.Slot
	}
	m.last[sl.Playbook] = sl.Slot
	m.recorded[key] = sl.Outcome
	if args, ok := SlotRunArgs(sl); ok {
		m.runs[key] = report.Status(args[4].(string))
		m.decided[key] = sl.At
	}
	return true
}

// TestClaimSlotsManyAsOneAtATime: batches of several statements' worth of
// slots, with several slots of a playbook (a catch-up), repeats, slots
// older than the newest claimed, playbooks the history has no schedule
// for, and pruned records, are claimed as if one slot were recorded at a
// time; the schedules, the slot records and the run rows of the slots
// that did not run say the same.
func TestClaimSlotsManyAsOneAtATime(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	const playbooks = 3*maxRows + 17
	m := &slotModel{last: map[string]time.Time{}, since: map[string]time.Time{}, recorded: map[slotKey]SlotOutcome{}, runs: map[slotKey]report.Status{}, decided: map[slotKey]time.Time{}}
	// Two playbooks in three have their schedule tracked, as the
	// scheduler does; the others get one from their first claim.
	var refs []ScheduleRef
	for i := range playbooks {
		if i%3 != 0 {
			pb := fmt.Sprintf("p%04d", i)
			refs = append(refs, ScheduleRef{Playbook: pb, Fingerprint: "@every 1m"})
			m.since[pb] = t0
		}
	}
	if _, err := s.TrackSchedules(ctx, t0, refs); err != nil {
		t.Fatal(err)
	}
	outcomes := []SlotOutcome{SlotFired, SlotFired, SlotQueued, SlotSkipped, SlotMissed, SlotFailed}
	for batch := range 8 {
		base := t0.Add(time.Duration(batch) * time.Minute)
		// Each playbook gets up to four slots, oldest first, some the
		// same, some before the newest of the batches before, and a few
		// out of order, which are refused as a slot older than the
		// newest claimed is.
		var queues [][]Slot
		for i := range playbooks {
			var q []Slot
			at := base.Add(-time.Duration(rng.IntN(100)) * time.Second)
			for range rng.IntN(5) {
				o := outcomes[rng.IntN(len(outcomes))]
				q = append(q, Slot{Playbook: fmt.Sprintf("p%04d", i), Path: "p.yaml", Slot: at, Outcome: o, Message: string(o), At: base})
				at = at.Add(time.Duration(rng.IntN(40)-3) * time.Second)
			}
			if len(q) > 0 {
				queues = append(queues, q)
			}
		}
		// Interleave the playbooks, each keeping its order.
		var slots []Slot
		for len(queues) > 0 {
			k := rng.IntN(len(queues))
			slots = append(slots, queues[k][0])
			if queues[k] = queues[k][1:]; len(queues[k]) == 0 {
				queues = append(queues[:k], queues[k+1:]...)
			}
		}
		want := make([]bool, len(slots))
		for i, sl := range slots {
			want[i] = m.claim(sl)
		}
		got := claim(t, s, slots...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("batch %d of %d slots, claims (-want +got):\n%s", batch, len(slots), diff)
		}
		if batch == 4 {
			if _, err := s.PruneSlots(ctx, base); err != nil {
				t.Fatal(err)
			}
			for k := range m.recorded {
				if k.Slot < ms(base) {
					delete(m.recorded, k)
				}
			}
			// The skipped and missed rows decided before go with them;
			// failed ones are runs that could not start, and stay.
			for k, st := range m.runs {
				if (st == report.StatusSkipped || st == StatusMissed) && m.decided[k].Before(base) {
					delete(m.runs, k)
				}
			}
		}
	}

	type schedule struct{ Since, Last time.Time }
	wantSchedules, gotSchedules := map[string]schedule{}, map[string]schedule{}
	for pb, since := range m.since {
		wantSchedules[pb] = schedule{since, m.last[pb]}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT playbook, since, COALESCE(last_slot, 0) FROM schedules`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var pb string
		var since, last int64
		if err := rows.Scan(&pb, &since, &last); err != nil {
			t.Fatal(err)
		}
		sc := schedule{Since: fromMS(since)}
		if last != 0 {
			sc.Last = fromMS(last)
		}
		gotSchedules[pb] = sc
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantSchedules, gotSchedules); diff != "" {
		t.Errorf("schedules (-want +got):\n%s", diff)
	}

	gotRecorded := map[slotKey]SlotOutcome{}
	rows, err = s.db.QueryContext(ctx, `SELECT playbook, slot, outcome FROM schedule_slots`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var pb, outcome string
		var slot int64
		if err := rows.Scan(&pb, &slot, &outcome); err != nil {
			t.Fatal(err)
		}
		gotRecorded[slotKey{pb, slot}] = SlotOutcome(outcome)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m.recorded, gotRecorded); diff != "" {
		t.Errorf("slot records (-want +got):\n%s", diff)
	}

	gotRuns := map[slotKey]report.Status{}
	rows, err = s.db.QueryContext(ctx, `SELECT playbook, slot, status FROM runs WHERE triggered_by = 'schedule'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var pb, status string
		var slot int64
		if err := rows.Scan(&pb, &slot, &status); err != nil {
			t.Fatal(err)
		}
		gotRuns[slotKey{pb, slot}] = report.Status(status)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m.runs, gotRuns); diff != "" {
		t.Errorf("run rows of slots that did not run (-want +got):\n%s", diff)
	}
}
