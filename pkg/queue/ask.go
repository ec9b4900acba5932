package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// ErrNotShared is joined to runs.ErrNoQuestion by Answer when the store
// holds no such question at all, answered or not: it may still be on its
// way there from the replica that runs the run (which writes it within
// publishEvery), so that replica may answer it through the run's handle.
var ErrNotShared = errors.New("the question is not in the shared store")

// notShared is a runs.ErrNoQuestion error that is also ErrNotShared; its
// text is the question's alone.
type notShared struct{ error }

func (e notShared) Unwrap() error        { return e.error }
func (e notShared) Is(target error) bool { return target == ErrNotShared }

// Asked is an open confirm: question of a queued run, as the replica
// running it wrote it: the question, and the playbook file and digest its
// answer is audited with.
type Asked struct {
	runs.Question
	PlaybookFile string
	SHA256       string
}

// writeQuestions records the confirm: questions a batch of events asks,
// and forgets those it answers, before the events are relayed. A failure
// is logged: the question can still be answered on this replica.
func (q *Queue) writeQuestions(ctx context.Context, runID string, pb *steps.Playbook, evs []engine.Event) {
	for i := range evs {
		ev := &evs[i]
		var err error
		switch ev.Kind {
		case engine.EventConfirmAsked:
			_, err = q.cfg.Store.Pool().Exec(ctx, `INSERT INTO run_questions (run_id, asking_run, step, op, question, playbook, sha256, asked_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (run_id, asking_run, step) DO UPDATE SET op = $4, question = $5, asked_at = $8, answer = NULL, answered_by = '', roles = '[]', answered_from = ''`,
				runID, ev.RunID, ev.Step, ev.Op, ev.Message, pb.File, pb.SHA256, ev.Time.UnixMilli())
		case engine.EventConfirmAnswered:
			_, err = q.cfg.Store.Pool().Exec(ctx, `DELETE FROM run_questions WHERE run_id = $1 AND asking_run = $2 AND step = $3`, runID, ev.RunID, ev.Step)
		}
		if err != nil {
			q.log.Warn().Err(err).Str("run_id", runID).Str("step", ev.Step).Msg("could not share the confirm: question with the other replicas")
		}
	}
}

// dropQuestions forgets the questions of a run that ended.
func (q *Queue) dropQuestions(ctx context.Context, runID string) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	q.cfg.Store.Pool().Exec(ctx, `DELETE FROM run_questions WHERE run_id = $1`, runID)
}

// Holds reports whether the run executes on this replica through the
// queue.
func (q *Queue) Holds(runID string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.local[runID] != nil
}

// Questions returns the confirm: questions of a queued run that wait for
// an answer, oldest first, whichever replica runs it.
func (q *Queue) Questions(ctx context.Context, runID string) ([]Asked, error) {
	rows, err := q.cfg.Store.Pool().Query(ctx, `SELECT asking_run, step, op, question, asked_at, playbook, sha256 FROM run_questions
		WHERE run_id = $1 AND answer IS NULL ORDER BY asked_at, asking_run, step`, runID)
	if err != nil {
		return nil, fmt.Errorf("queue: questions of %s: %w", runID, err)
	}
	defer rows.Close()
	out := []Asked{}
	for rows.Next() {
		var a Asked
		var at int64
		if err := rows.Scan(&a.RunID, &a.Step, &a.Op, &a.Text, &at, &a.PlaybookFile, &a.SHA256); err != nil {
			return nil, fmt.Errorf("queue: questions of %s: %w", runID, err)
		}
		a.AskedAt = time.UnixMilli(at).UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: questions of %s: %w", runID, err)
	}
	return out, nil
}

// Answer answers a confirm: question of a queued run, whichever replica
// runs it. The first answer wins: a question already answered, or not
// asked, is an error wrapping runs.ErrNoQuestion. audit is called in the
// transaction that records the answer; when it fails, the answer is not
// recorded; once it is written, the answer is recorded even if ctx ends
// meanwhile. The replica running the run gives it the answer within Poll
// (at once when it is this one).
func (q *Queue) Answer(ctx context.Context, runID string, ans runs.Answer, audit func(Asked) error) error {
	if ans.RunID == "" {
		ans.RunID = runID
	}
	word := "no"
	if ans.Yes {
		word = "yes"
	}
	roles, _ := json.Marshal(ans.By.Roles)
	tx, err := q.cfg.Store.Pool().Begin(ctx)
	if err != nil {
		return fmt.Errorf("queue: answer %s: %w", runID, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	a := Asked{Question: runs.Question{RunID: ans.RunID, Step: ans.Step}}
	var at int64
	err = tx.QueryRow(ctx, `UPDATE run_questions SET answer = $4, answered_by = $5, roles = $6, answered_from = $7
		WHERE run_id = $1 AND asking_run = $2 AND step = $3 AND answer IS NULL
		RETURNING op, question, asked_at, playbook, sha256`,
		runID, ans.RunID, ans.Step, word, ans.By.Name, string(roles), ans.By.From).Scan(&a.Op, &a.Text, &at, &a.PlaybookFile, &a.SHA256)
	if errors.Is(err, pgx.ErrNoRows) {
		var known bool
		tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM run_questions WHERE run_id = $1 AND asking_run = $2 AND step = $3)`,
			runID, ans.RunID, ans.Step).Scan(&known)
		if !known {
			return notShared{q.noQuestion(ctx, runID, ans)}
		}
		return q.noQuestion(ctx, runID, ans)
	}
	if err != nil {
		return fmt.Errorf("queue: answer %s: %w", runID, err)
	}
	a.AskedAt = time.UnixMilli(at).UTC()
	if err := audit(a); err != nil {
		return err
	}
	// The audit line says who answered: from here, the answer is
	// recorded, whether the caller still waits or not.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitBound)
	defer cancel()
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("queue: answer %s: %w", runID, err)
	}
	q.relayAnswers(ctx) // one of ours: at once
	return nil
}

// noQuestion says which questions wait instead.
func (q *Queue) noQuestion(ctx context.Context, runID string, ans runs.Answer) error {
	open, _ := q.Questions(ctx, runID)
	if len(open) == 0 {
		return fmt.Errorf("%w: step %s of run %s is not asking", runs.ErrNoQuestion, ans.Step, ans.RunID)
	}
	var names []string
	for _, a := range open {
		names = append(names, a.Step+" (run "+a.RunID+")")
	}
	return fmt.Errorf("%w: step %s of run %s is not asking; waiting: %s", runs.ErrNoQuestion, ans.Step, ans.RunID, strings.Join(names, ", "))
}

// relayAnswers gives the runs executed here the answers recorded for
// them through any replica. Those answers were audited where they were
// received.
func (q *Queue) relayAnswers(ctx context.Context) {
	ids := q.localIDs()
	if len(ids) == 0 {
		return
	}
	pool := q.cfg.Store.Pool()
	rows, err := pool.Query(ctx, `SELECT run_id, asking_run, step, answer, answered_by, roles, answered_from FROM run_questions
		WHERE run_id = ANY($1) AND answer IS NOT NULL`, ids)
	if err != nil {
		return
	}
	type found struct {
		run string
		ans runs.Answer
	}
	var got []found
	for rows.Next() {
		var f found
		var word, roles string
		if rows.Scan(&f.run, &f.ans.RunID, &f.ans.Step, &word, &f.ans.By.Name, &roles, &f.ans.By.From) != nil {
			break
		}
		json.Unmarshal([]byte(roles), &f.ans.By.Roles)
		f.ans.Yes, f.ans.Audited, f.ans.By.Trigger = word == "yes", true, runs.TriggerAPI
		got = append(got, f)
	}
	rows.Close()
	for _, f := range got {
		q.mu.Lock()
		h := q.local[f.run]
		q.mu.Unlock()
		if h == nil {
			continue
		}
		err := h.Answer(f.ans)
		if errors.Is(err, runs.ErrNoQuestion) {
			// Not asking (yet: the engine announces a question just
			// before it waits for it, or no more: its wait ended). The
			// answer is tried again at the next poll; the run's end
			// drops it.
			continue
		}
		if err != nil {
			q.log.Warn().Err(err).Str("run_id", f.run).Str("step", f.ans.Step).Msg("could not give the run its answer")
			continue
		}
		pool.Exec(ctx, `DELETE FROM run_questions WHERE run_id = $1 AND asking_run = $2 AND step = $3 AND answer IS NOT NULL`, f.run, f.ans.RunID, f.ans.Step)
	}
}
