package server

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// runsElsewhere reports whether a run this process does not hold is
// still waiting in the queue or running on another replica.
func (s *Server) runsElsewhere(ctx context.Context, id string) bool {
	if s.cfg.Queue == nil {
		return false
	}
	if run, err := s.mgr.Service().History().Get(ctx, id); err == nil {
		return run.Status == history.StatusRunning
	}
	return s.queuedReport(ctx, id) != nil
}

// relay streams, as Server-Sent Events, the events of a run that another
// replica executes, as that replica wrote them to the store; the stream
// ends after the run's run_finished, like a local one.
func (s *Server) relay(w http.ResponseWriter, r *http.Request, id string, after uint64) *apiError {
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	bw := bufio.NewWriterSize(w, 32<<10)
	flush := func() bool { return bw.Flush() == nil && rc.Flush() == nil }
	flush()
	ctx, stop := context.WithCancel(r.Context())
	defer stop()
	defer context.AfterFunc(s.stopCtx, stop)()
	events := s.cfg.Queue.Follow(ctx, id, after)
	idle := time.NewTicker(heartbeat)
	defer idle.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				flush()
				return nil
			}
			bw.WriteString("id: " + strconv.FormatUint(ev.Seq, 10) + "\nevent: " + string(ev.Kind) + "\ndata: ")
			bw.Write(ev.JSON)
			bw.WriteString("\n\n")
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
