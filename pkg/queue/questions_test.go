package queue

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestReapForgetsTheQuestionsOfLostRuns: a run whose replica died while
// its confirm: question waited is marked interrupted and never drops
// its question; the reaper forgets it after the events' retention, as it
// forgets the run's events, and keeps the questions of runs still going
// (a question may wait for hours) and the recent ones.
func TestReapForgetsTheQuestionsOfLostRuns(t *testing.T) {
	ctx := context.Background()
	r := newReplica(t, pgtest.DSN(t), 1, false)
	pool := r.pg.Pool()
	old := time.Now().Add(-2 * eventRetention).UnixMilli()
	recent := time.Now().UnixMilli()
	for _, q := range []struct {
		run, status string
		at          int64
	}{
		{"lost-long-ago", "interrupted", old},
		{"lost-just-now", "interrupted", recent},
		{"asking-for-hours", "running", old},
	} {
		if _, err := pool.Exec(ctx, `INSERT INTO runs (id, playbook, status, started_at, owner) VALUES ($1, 'p', $2, 0, $3)`, q.run, q.status, r.pg.Owner()); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO run_questions (run_id, asking_run, step, op, question, asked_at) VALUES ($1, $1, 'gate', 'control.noop', 'go?', $2)`, q.run, q.at); err != nil {
			t.Fatal(err)
		}
	}
	r.q.reap(ctx)
	rows, err := pool.Query(ctx, `SELECT run_id FROM run_questions ORDER BY run_id`)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		left = append(left, id)
	}
	rows.Close()
	if want := []string{"asking-for-hours", "lost-just-now"}; !slices.Equal(left, want) {
		t.Errorf("questions left after reaping: %v, want %v", left, want)
	}
}

// TestAnswerAuditedAsTheCallerLeaves: once the audit line of an answer is
// written, the answer is recorded even if its caller's context ends
// meanwhile (a client hanging up, a request's bound passed while the
// audit log was slow): the audit log never names an answer that the run
// was not given.
func TestAnswerAuditedAsTheCallerLeaves(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false)
	pool := r.pg.Pool()
	bg := context.Background()
	if _, err := pool.Exec(bg, `INSERT INTO run_questions (run_id, asking_run, step, op, question, asked_at) VALUES ('r', 'r', 'gate', 'control.noop', 'go?', 0)`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	audited := 0
	err := r.q.Answer(ctx, "r", runs.Answer{Step: "gate", Yes: true, By: runs.Caller{Name: "alice"}}, func(Asked) error {
		audited++
		cancel() // the caller goes while the line is written
		return nil
	})
	if err != nil || audited != 1 {
		t.Fatalf("Answer: %v, audited %d times; want nil, once", err, audited)
	}
	var answer, by string
	if err := pool.QueryRow(bg, `SELECT answer, answered_by FROM run_questions WHERE run_id = 'r'`).Scan(&answer, &by); err != nil || answer != "yes" || by != "alice" {
		t.Errorf("the audited answer is recorded as %q by %q (%v), want yes by alice", answer, by, err)
	}
}
