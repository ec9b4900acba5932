package queue

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// publishEvery is how long events gather before they are written.
const publishEvery = 100 * time.Millisecond

// maxUnsent bounds the events kept while the database does not take them
// (written again with the next batch): past it the oldest are let go, so
// that a long outage does not hold a long run's every log line.
const maxUnsent = 10000

// finalRetryFor is how long the last batch of a run, its run_finished
// among them, is tried again while the database is away before a warning
// says that it is kept (see writeLast): as long as the run's own record
// is tried before it is kept (postgres.Store.RetryFor).
const finalRetryFor = 60 * time.Second

// publish writes the events of a run executed here to run_events, in
// batches, until its run_finished; the returned channel is closed when the
// last batch is written (or, the database still away, once the queue
// stops: see writeLast). A replica that streams the run reads them there.
//
// The confirm: questions among them are written to run_questions first,
// so that a replica that shows a confirm_asked event can answer it.
func (q *Queue) publish(runID string, pb *steps.Playbook, h *runs.Handle) <-chan struct{} {
	done := make(chan struct{})
	sub := h.Events().Subscribe(0)
	go func() {
		defer close(done)
		defer sub.Cancel()
		var batch []engine.Event
		// unsent are events a write failed to store: they go again with
		// the next batch (the insert skips those already there), so that
		// another replica's stream of the run has no hole where the
		// database was away.
		var unsent []engine.Event
		flush := func(last bool) {
			if len(batch) == 0 && len(unsent) == 0 {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
			defer cancel()
			q.writeQuestions(ctx, runID, pb, batch)
			evs := append(unsent, batch...)
			var err error
			if last {
				err = q.writeLast(runID, evs)
			} else {
				err = q.writeEvents(ctx, runID, evs)
			}
			switch {
			case err == nil && len(unsent) > 0:
				q.log.Info().Str("run_id", runID).Int("events", len(unsent)).Msg("relayed the run's events held back while the database was away")
				unsent = nil
			case err == nil:
			case last:
				q.log.Warn().Err(err).Str("run_id", runID).Int("events", len(evs)).Msg("could not relay the run's last events; other replicas show the run as its history records it")
			default:
				if len(unsent) == 0 {
					q.log.Warn().Err(err).Str("run_id", runID).Msg("could not relay the run's events; they are kept and written once the database answers")
				}
				if over := len(evs) - maxUnsent; over > 0 {
					q.log.Warn().Str("run_id", runID).Int("events", over).Msg("let go of events held back too long; other replicas' streams of the run lack them")
					evs = evs[over:]
				}
				unsent = evs
			}
			batch = batch[:0]
		}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), publishEvery)
			ev, ok := sub.Next(ctx)
			cancel()
			if ok {
				batch = append(batch, ev)
				for {
					ev, ok = sub.TryNext()
					if !ok {
						break
					}
					batch = append(batch, ev)
				}
				if last := batch[len(batch)-1]; last.Kind == engine.EventRunFinished && last.RunID == runID {
					flush(true)
					return
				}
				continue
			}
			flush(false)
			select {
			case <-h.Events().Done():
				ev, more := sub.TryNext()
				if !more {
					return
				}
				batch = append(batch, ev) // written with what follows it
			default:
			}
		}
	}()
	return done
}

// writeLast writes the last batch of a run's events, its run_finished
// among them, while the database is away too: it is tried again for as
// long as this replica runs (warning once finalRetryFor has passed), and
// once more, for at most lastTryOnStop, when the queue stops. The run's
// job stays taken meanwhile, which tells a replica that streams the run to
// wait for these events (see Follow) rather than end its stream without
// them: they are written once the database answers.
func (q *Queue) writeLast(runID string, evs []engine.Event) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-q.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	write := func() error {
		ctx, cancel := context.WithTimeout(ctx, storeTimeout)
		defer cancel()
		return q.writeEvents(ctx, runID, evs)
	}
	err := q.cfg.Store.RetryFor(ctx, q.cfg.finalRetryFor, write)
	if err != nil && ctx.Err() == nil && away(err) {
		q.log.Warn().Err(err).Str("run_id", runID).Int("events", len(evs)).
			Msg("could not relay the run's last events yet; they are kept and written once the database answers")
		for err != nil && ctx.Err() == nil && away(err) {
			err = q.cfg.Store.RetryFor(ctx, q.cfg.finalRetryFor, write)
		}
	}
	if err != nil && ctx.Err() != nil {
		// The queue stops: once more, briefly.
		ctx, cancel := context.WithTimeout(context.Background(), lastTryOnStop)
		defer cancel()
		err = q.writeEvents(ctx, runID, evs)
	}
	return err
}

// lastTryOnStop bounds the last try to write a run's last events when the
// queue stops with the database still away.
const lastTryOnStop = 5 * time.Second

// away tells whether a write failed because the database is away (or
// did not answer in time), rather than refused it.
func away(err error) bool {
	return postgres.Unreachable(err) || errors.Is(err, context.DeadlineExceeded)
}

// writeEvents stores a batch of events, skipping those already stored; the
// caller decides what a failure means (publish keeps the batch to write it
// again).
func (q *Queue) writeEvents(ctx context.Context, runID string, evs []engine.Event) error {
	now := time.Now().UnixMilli()
	var seqs []int64
	var bodies []string
	for i := range evs {
		if evs[i].Seq == 0 {
			continue // a dropped marker of a slow subscriber
		}
		body, err := json.Marshal(&evs[i])
		if err != nil {
			continue
		}
		seqs = append(seqs, int64(evs[i].Seq))
		bodies = append(bodies, string(body))
	}
	if len(seqs) == 0 {
		return nil
	}
	_, err := q.cfg.Store.Pool().Exec(ctx, `INSERT INTO run_events (run_id, seq, body, at)
		SELECT $1, s, b, $4 FROM unnest($2::bigint[], $3::text[]) AS e(s, b) ON CONFLICT DO NOTHING`, runID, seqs, bodies, now)
	return err
}

// publishFinal writes the one event of a run that never started.
func (q *Queue) publishFinal(ctx context.Context, rep *report.Report) {
	ev := engine.Event{Seq: 1, Kind: engine.EventRunFinished, RunID: rep.RunID, Time: rep.FinishedAt, Status: string(rep.Status), Report: rep}
	if rep.Error != nil {
		ev.Err, ev.ErrClass = rep.Error.Message, rep.Error.Class
	}
	if err := q.cfg.Store.RetryFor(ctx, q.cfg.finalRetryFor, func() error { return q.writeEvents(ctx, rep.RunID, []engine.Event{ev}) }); err != nil {
		q.log.Warn().Err(err).Str("run_id", rep.RunID).Msg("could not relay the run's end")
	}
}

// Relayed is one event of a run another replica executes: its sequence
// number, kind and JSON, as the replica wrote it. Final marks the run's
// own run_finished, the last event of its stream.
type Relayed struct {
	Seq   uint64
	Kind  engine.EventKind
	JSON  []byte
	Final bool
}

// endedGrace is how long Follow waits, after it sees a run recorded as
// ended, for its run_finished to reach run_events: the replica that ran
// it writes its events in batches (publishEvery), possibly after the
// history. A run recorded interrupted is not waited for: the replica that
// ran it is gone, and will write nothing more.
const endedGrace = 3 * time.Second

// Follow streams the events of a run that another replica executes (or
// that is still queued, or has ended), from after on, until its
// run_finished or ctx ends; the channel is closed then. It reads
// run_events every Poll.
//
// A run can end without its run_finished in run_events: a replica killed
// mid-run writes none, and the reaper of another marks the run
// interrupted in the history. Follow closes the channel then too, without
// a Final event, once the run is recorded as ended (interrupted, or any
// end that endedGrace has not brought a run_finished for, unless a
// replica that lives still holds the run's job, and with it the events
// that the database was away for: see lastEventsHeld): the caller tells
// the run's end from its history.
func (q *Queue) Follow(ctx context.Context, runID string, after uint64) <-chan Relayed {
	out := make(chan Relayed, 64)
	go func() {
		defer close(out)
		t := time.NewTicker(q.cfg.Poll)
		defer t.Stop()
		var endedSince time.Time // when the run was first seen recorded as ended
		for {
			got, err := q.relayed(ctx, runID, after)
			for _, ev := range got {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
				after = ev.Seq
				if ev.Final {
					return
				}
			}
			if err == nil && len(got) == 0 {
				// Nothing new: has the run ended without its run_finished?
				status, ended := q.recordedEnd(ctx, runID)
				switch {
				case !ended:
					endedSince = time.Time{}
				case status == string(history.StatusInterrupted):
					return
				case endedSince.IsZero():
					endedSince = time.Now()
				case time.Since(endedSince) >= q.cfg.endedGrace && !q.lastEventsHeld(ctx, runID):
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// lastEventsHeld tells whether a replica that lives still holds the job
// of a run: one that ended while the database was away holds its last
// events until the database takes them (see writeLast), and its job
// until then, so they are still to come. A replica that died (or stopped)
// writes nothing more.
func (q *Queue) lastEventsHeld(ctx context.Context, runID string) bool {
	lease, back := q.cfg.Store.Judge()
	var held bool
	err := q.cfg.Store.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM river_job j
		WHERE j.kind = $1 AND j.args->>'run_id' = $2 AND j.state = 'running'
			AND `+postgres.Alive("j.attempted_by[cardinality(j.attempted_by)]", "$3", "$4")+`)`,
		Kind, runID, lease, back).Scan(&held)
	return err == nil && held
}

// relayed reads up to 1000 of the relayed events of a run after a
// sequence number.
func (q *Queue) relayed(ctx context.Context, runID string, after uint64) ([]Relayed, error) {
	rows, err := q.cfg.Store.Pool().Query(ctx, `SELECT seq, body FROM run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000`, runID, int64(after))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var got []Relayed
	for rows.Next() {
		var seq int64
		var body string
		if err := rows.Scan(&seq, &body); err != nil {
			return got, err
		}
		var head struct {
			Kind engine.EventKind `json:"kind"`
		}
		json.Unmarshal([]byte(body), &head)
		ev := Relayed{Seq: uint64(seq), Kind: head.Kind, JSON: []byte(body)}
		ev.Final = ev.Kind == engine.EventRunFinished && q.isOwnFinish(ev.JSON, runID)
		got = append(got, ev)
	}
	return got, rows.Err()
}

// EventsOf returns, in order, the relayed events of a run that are of one
// of kinds: a replica tells the snapshot of a run that another one
// executes from them (runs.SnapshotOf), without reading the run's log
// lines. Events that do not decode are left out.
func (q *Queue) EventsOf(ctx context.Context, runID string, kinds []engine.EventKind) ([]engine.Event, error) {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	// The kind is the first "kind" of the body (writeEvents writes seq,
	// then kind), found as text: a cast to json would fail on the
	// escaped NUL of a log line.
	rows, err := q.cfg.Store.Pool().Query(ctx, `SELECT body FROM run_events
		WHERE run_id = $1 AND substring(body from '"kind":"([a-z_]+)"') = ANY($2) ORDER BY seq`, runID, names)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var evs []engine.Event
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var ev engine.Event
		if json.Unmarshal([]byte(body), &ev) == nil {
			evs = append(evs, ev)
		}
	}
	return evs, rows.Err()
}

// recordedEnd tells whether the history records a run as ended, and its
// status. A run not recorded yet (still queued), or one the database
// cannot tell of now, has not ended.
func (q *Queue) recordedEnd(ctx context.Context, runID string) (string, bool) {
	var status string
	err := q.cfg.Store.Pool().QueryRow(ctx, `SELECT status FROM runs WHERE id = $1`, runID).Scan(&status)
	if err != nil || status == string(history.StatusRunning) {
		return status, false
	}
	return status, true
}

// Relays tells whether run_events holds events of a run: then its stream
// is the one Follow gives, numbered as the replica that ran it numbered
// it, which a client resuming with Last-Event-ID counts on.
func (q *Queue) Relays(ctx context.Context, runID string) bool {
	var found bool
	err := q.cfg.Store.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM run_events WHERE run_id = $1)`, runID).Scan(&found)
	return err == nil && found
}

// isOwnFinish reports whether a run_finished event is the run's own, not
// a sub-run's.
func (q *Queue) isOwnFinish(body []byte, runID string) bool {
	var head struct {
		RunID string `json:"run_id"`
	}
	return json.Unmarshal(body, &head) == nil && head.RunID == runID
}
