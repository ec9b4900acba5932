package server

import (
	"cmp"
	"context"
	"net/http"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// followHistory tells, as events, a run that another arsenal-run process
// on the same state dir runs (arsenal-run run, a scheduler): this process
// has only the history of it, rep to begin with. The stream begins with
// run_started and, for each step the history has recorded as finished,
// its step_started and step_finished; it reads the history again every
// Limits.historyPoll and tells each step recorded since; once the run is recorded
// as ended (or interrupted, its process gone), it tells the steps of the
// final report not told yet and ends with the run_finished of that report,
// its real status. Every client, and every serve of the state, numbers
// these events alike, from 1 in the order the history recorded the steps,
// so that Last-Event-ID resumes the stream. The stream closes without a
// run_finished when ctx ends or the run leaves the history; while the
// store does not answer it asks again.
func (s *Server) followHistory(ctx context.Context, id string, rep *report.Report) *runs.Stream {
	stream := runs.NewStream()
	stream.Publish(runs.Event{Kind: engine.EventRunStarted, RunID: id, Time: rep.StartedAt, Playbook: rep.Playbook.Name})
	told := map[string]bool{}
	tell := func(rep *report.Report) {
		for _, st := range rep.Steps {
			key := cmp.Or(st.Section, "steps") + "/" + st.ID
			if told[key] {
				continue
			}
			told[key] = true
			started, finished := toldStep(rep, st)
			stream.Publish(started)
			stream.Publish(finished)
		}
	}
	tell(rep)
	go func() {
		defer stream.Close()
		t := time.NewTicker(s.cfg.Limits.historyPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rep, e := s.report(ctx, id)
			switch {
			case e != nil && e.Status == http.StatusNotFound:
				return
			case e != nil:
				continue
			}
			tell(rep)
			if rep.Status != history.StatusRunning {
				stream.Publish(*finishedEvent(rep, 0)) // Publish numbers it
				return
			}
		}
	}()
	return stream
}

// toldStep is a step's step_started and step_finished as a report or the
// history records it, at the times it gives (a step that did not start, at
// the run's end, or now while the run goes on), as runs.ReplayOf tells
// them.
func toldStep(rep *report.Report, st report.Step) (started, finished runs.Event) {
	start := rep.FinishedAt
	if start.IsZero() {
		start = time.Now().UTC()
	}
	end := start
	if st.StartedAt != nil {
		start = *st.StartedAt
		end = start.Add(time.Duration(st.DurationMS) * time.Millisecond)
	}
	started = runs.Event{Kind: engine.EventStepStarted, RunID: rep.RunID, Time: start, Step: st.ID, Name: st.Name, Op: st.Op, Section: st.Section, RescueOf: st.RescueOf}
	finished = runs.Event{Kind: engine.EventStepFinished, RunID: rep.RunID, Time: end, Step: st.ID, Name: st.Name, Op: st.Op, Section: st.Section, RescueOf: st.RescueOf,
		Status: string(st.Status), Reason: st.Reason, DurationMS: st.DurationMS, Attempts: st.Attempts, Reused: st.Reused, NotStarted: st.StartedAt == nil}
	if st.Error != nil {
		finished.Err, finished.ErrClass = st.Error.Message, st.Error.Class
	}
	// What a notify entry's message reached, as the engine's event says
	// it: from a run's final report (an older one's read from its status
	// and output), not from the history of a run going on, which keeps
	// neither the notification nor the output to read it from.
	finished.Notification = st.Notification
	if rep.Status != history.StatusRunning {
		finished.Notification = report.NotificationOf(&st)
	}
	return started, finished
}

// toldEnd is the run_finished that ends a stream told from the history,
// for a client whose Last-Event-ID was at or past it: numbered after what
// the client saw, for ids never go backwards. Nil if the stream ended
// without one (the run left the history).
func toldEnd(stream *runs.Stream, id string, after uint64) *engine.Event {
	last := stream.Last()
	if last == 0 {
		return nil
	}
	sub := stream.Subscribe(last - 1)
	defer sub.Cancel()
	ev, ok := sub.TryNext()
	if !ok || ev.Kind != engine.EventRunFinished || ev.RunID != id {
		return nil
	}
	ev.Seq = max(after, last) + 1
	return &ev
}
