package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// Recover queues the slots that a leader before this one recorded as
// fired in the last span and died before it queued them: no run has their
// playbook and slot. (The scheduler records a slot fired before it queues
// its job, so that it fires once whatever the number of leaders.) A slot
// whose job is still there is not queued twice: the job is unique by
// playbook and slot. Call it when this replica starts to lead, before its
// scheduler fires anything.
func (l *Launcher) Recover(ctx context.Context, span time.Duration) (int, error) {
	since := time.Now().Add(-span).UnixMilli()
	rows, err := l.q.cfg.Store.Pool().Query(ctx, `SELECT s.playbook, s.slot FROM schedule_slots s
		WHERE s.outcome = $1 AND s.slot >= $2 AND NOT EXISTS (SELECT 1 FROM runs r
			WHERE r.playbook = s.playbook AND r.started_at >= s.slot - $3 AND r.slot = s.slot)
		ORDER BY s.slot, s.playbook`, string(history.SlotFired), since, time.Minute.Milliseconds())
	if err != nil {
		return 0, fmt.Errorf("queue: the slots fired before this leader: %w", err)
	}
	type lost struct {
		playbook string
		slot     int64
	}
	var found []lost
	for rows.Next() {
		var f lost
		if err := rows.Scan(&f.playbook, &f.slot); err != nil {
			rows.Close()
			return 0, fmt.Errorf("queue: the slots fired before this leader: %w", err)
		}
		found = append(found, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("queue: the slots fired before this leader: %w", err)
	}
	n := 0
	for _, f := range found {
		pb, ok := l.q.cfg.Playbook(f.playbook)
		if !ok || pb.Schedule == nil {
			continue
		}
		slot := time.UnixMilli(f.slot)
		if loc := pb.Schedule.Location; loc != nil {
			slot = slot.In(loc)
		}
		id, dup, err := l.q.Submit(ctx, l.args(f.playbook, slot))
		if err != nil {
			return n, err
		}
		if !dup {
			n++
			l.q.log.Warn().Str("playbook", f.playbook).Str("slot", slot.Format(time.RFC3339)).Str("run_id", id).
				Msg("queued a slot the previous leader recorded as fired but died before queuing")
		}
	}
	return n, nil
}
