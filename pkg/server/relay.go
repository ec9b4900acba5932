package server

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// runsElsewhere reports whether a run this process does not hold is
// still waiting in the queue or running on another replica.
// An error means the database did not answer in time or could not be
// reached (storeError answers it).
func (s *Server) runsElsewhere(ctx context.Context, id string) (bool, error) {
	if s.cfg.Queue == nil {
		return false, nil
	}
	run, err := within(ctx, storeReadBound, func(ctx context.Context) (history.Run, error) { return s.mgr.Service().History().Get(ctx, id) })
	switch {
	case err == nil:
		return run.Status == history.StatusRunning, nil
	case unreachable(err):
		return false, err
	}
	rep, err := s.findQueued(ctx, id)
	return rep != nil, err
}

// relays reports whether another replica wrote events of the run,
// bounded as the other store calls of a request (a silent database is no
// relay: the stream is then this replica's own, or 404).
func (s *Server) relays(ctx context.Context, id string) bool {
	ctx, cancel := storeBound(ctx, storeReadBound)
	defer cancel()
	return s.cfg.Queue.Relays(ctx, id)
}

// snapshotElsewhere is the report of a run that another replica runs, as
// that replica's snapshot shows it: told from the events it relayed, over
// the run's history row (whose inputs its start wrote, masked). Until an
// event is relayed (or when they cannot be read), the run's finished step
// rows stand in for them.
func (s *Server) snapshotElsewhere(ctx context.Context, h store.History, run history.Run) *report.Report {
	evs, err := s.cfg.Queue.EventsOf(ctx, run.ID, runs.SnapshotKinds)
	if err != nil || len(evs) == 0 {
		return runs.SnapshotOf(*fromHistory(ctx, h, run), nil)
	}
	return runs.SnapshotOf(*recordReport(run), evs)
}

// relay streams, as Server-Sent Events, the events of a run that another
// replica executes (or executed), as that replica wrote them to the store,
// after the event numbered after; the stream ends after the run's
// run_finished, like a local one. A run that ended without one in the
// store (its replica was killed, and the run marked interrupted) ends
// with a run_finished told from its history, numbered after every event
// sent, so that a client resuming with Last-Event-ID gets it too.
func (s *Server) relay(w http.ResponseWriter, r *http.Request, c *Principal, id string, after uint64) *apiError {
	sc, end := s.openStream(w, r, id)
	defer end()
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	bw := bufio.NewWriterSize(sc, 32<<10)
	flush := func() bool { return bw.Flush() == nil && sc.Flush() == nil }
	flush()
	ctx, stop := context.WithCancel(r.Context())
	defer stop()
	defer context.AfterFunc(s.stopCtx, stop)()
	events := s.cfg.Queue.Follow(ctx, id, after)
	idle := time.NewTicker(heartbeat)
	defer idle.Stop()
	// As a stream of this replica does, the relay ends when its caller
	// no longer holds: signed out, or its key removed or changed.
	check := time.NewTicker(recheck)
	defer check.Stop()
	last := after
	for {
		select {
		case <-check.C:
			if !s.stillHolds(r, c) {
				flush()
				return nil
			}
		case ev, ok := <-events:
			if !ok {
				if ctx.Err() == nil {
					s.writeEnd(ctx, bw, id, last)
				}
				flush()
				return nil
			}
			bw.WriteString("id: " + strconv.FormatUint(ev.Seq, 10) + "\nevent: " + string(ev.Kind) + "\ndata: ")
			bw.Write(ev.JSON)
			bw.WriteString("\n\n")
			last = max(last, ev.Seq)
			if ev.Final {
				flush()
				return nil
			}
			if len(events) == 0 && !flush() {
				return nil
			}
		case <-idle.C:
			if _, err := bw.WriteString(": keep-alive\n\n"); err != nil || !flush() {
				return nil
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// writeEnd writes the run_finished of a run that ended without one in the
// store, told from its report (the history's), numbered last+1. When the
// report cannot be read (the database is away), the stream ends without
// it: the client resumes, and gets it then.
func (s *Server) writeEnd(ctx context.Context, w *bufio.Writer, id string, last uint64) {
	rep, e := s.report(ctx, id)
	if e != nil || rep.Status == report.Status(runs.StateQueued) || rep.Status == history.StatusRunning {
		return
	}
	writeFrame(w, eventFrame(finishedEvent(rep, last+1)))
}

// finishedEvent is the run_finished event of a report, numbered seq.
func finishedEvent(rep *report.Report, seq uint64) *engine.Event {
	ev := &engine.Event{Seq: seq, Kind: engine.EventRunFinished, RunID: rep.RunID, Time: rep.FinishedAt, Status: string(rep.Status), Report: rep}
	if rep.Error != nil {
		ev.Err, ev.ErrClass = rep.Error.Message, rep.Error.Class
	}
	return ev
}
