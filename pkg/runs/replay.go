package runs

import (
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// ReplayOf is the event stream of a run that ended before this process
// knew it (a server restarted since, or another replica ran it): its
// report told in the usual grammar, run_started, each step started and
// finished, then run_finished with the report, numbered from 1 so that
// Last-Event-ID works on it, and closed. Its numbers are not those of the
// run's live stream when that had item, log or attempt events, which the
// report does not keep.
func ReplayOf(rep *report.Report) *Stream {
	s := newStream(2*len(rep.Steps) + 2)
	publishReport(s, rep)
	s.Close()
	return s
}

// publishReport publishes a report's run in the usual grammar: run_started,
// each step started and finished at the times the report gives (a step
// that did not start at the run's end), then run_finished with the report
// and its duration.
func publishReport(s *Stream, rep *report.Report) {
	s.Publish(Event{Kind: engine.EventRunStarted, RunID: rep.RunID, Time: rep.StartedAt, Playbook: rep.Playbook.Name})
	for _, st := range rep.Steps {
		started, finished := rep.FinishedAt, rep.FinishedAt
		if st.StartedAt != nil {
			started = *st.StartedAt
			finished = started.Add(time.Duration(st.DurationMS) * time.Millisecond)
		}
		s.Publish(Event{Kind: engine.EventStepStarted, RunID: rep.RunID, Time: started, Step: st.ID, Name: st.Name, Op: st.Op, Section: st.Section, RescueOf: st.RescueOf})
		ev := Event{Kind: engine.EventStepFinished, RunID: rep.RunID, Time: finished, Step: st.ID, Name: st.Name, Op: st.Op, Section: st.Section, RescueOf: st.RescueOf,
			Status: string(st.Status), Reason: st.Reason, DurationMS: st.DurationMS, Attempts: st.Attempts, Reused: st.Reused, NotStarted: st.StartedAt == nil}
		if st.Error != nil {
			ev.Err, ev.ErrClass = st.Error.Message, st.Error.Class
		}
		// What a notify entry's message reached, as the engine's event
		// says it (an older report's read from its status and output).
		ev.Notification = report.NotificationOf(&st)
		s.Publish(ev)
	}
	// Subscribers read the report while the service may still sign and
	// write it (a queued run that never started): they get a copy of its
	// record, as publisher.Event gives them.
	c := *rep
	fin := Event{Kind: engine.EventRunFinished, RunID: rep.RunID, Time: rep.FinishedAt, Status: string(rep.Status),
		DurationMS: rep.DurationMS, Report: &c}
	if rep.Error != nil {
		fin.Err, fin.ErrClass = rep.Error.Message, rep.Error.Class
	}
	s.Publish(fin)
}
