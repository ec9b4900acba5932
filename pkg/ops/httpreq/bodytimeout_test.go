package httpreq

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestBodyThatDoesNotEndSaysTheAnswerCame: a timeout while the body is
// still coming says the status came and how much was read, so that a
// stream that never ends (a watch, server-sent events) is not taken for a
// server that never answered, as "no complete response" let it be.
func TestBodyThatDoesNotEndSaysTheAnswerCame(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	_, err := opstest.Execute(newRegistry(t), context.Background(), "http.request", map[string]any{"url": s.URL + "/events", "timeout": "300ms"})
	if ops.ClassOf(err) != ops.ClassTimeout {
		t.Fatalf("class %s: %v", ops.ClassOf(err), err)
	}
	for _, want := range []string{"GET " + s.URL + "/events: status 200 came", "did not end within 300ms (param timeout; 9 bytes read)", "never ends"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}
