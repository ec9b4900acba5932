package httpreq

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestGzipBodyThatDoesNotComeIsATimeout: a gzip answer whose body did not
// come within the timeout (status and headers sent, the body held up) said
// "no complete response within 300ms", as if the server had not answered,
// where any other body says the status came; and a body cut or reset
// before its gzip header said "the body is not gzip". It now fails as the
// reading of any body does.
func TestGzipBodyThatDoesNotComeIsATimeout(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(http.StatusOK)
		if r.URL.Path == "/plain" {
			w.Write([]byte(`{"a": 1}`))
			return
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	headers := map[string]any{"Accept-Encoding": "gzip"}
	_, err := opstest.Execute(newRegistry(t), context.Background(), "http.request", map[string]any{"url": s.URL + "/slow", "headers": headers, "timeout": "300ms"})
	if ops.ClassOf(err) != ops.ClassTimeout {
		t.Errorf("class %s, want timeout: %v", ops.ClassOf(err), err)
	}
	if err == nil || strings.Contains(err.Error(), "not gzip") || !strings.Contains(err.Error(), "status 200 came") {
		t.Errorf("want the timeout of a body that did not come, got %v", err)
	}
	// A body that is not gzip still says so.
	_, err = opstest.Execute(newRegistry(t), context.Background(), "http.request", map[string]any{"url": s.URL + "/plain", "headers": headers})
	if err == nil || !strings.Contains(err.Error(), "the body is not gzip, though its Content-Encoding says so; leave Accept-Encoding out of headers") {
		t.Errorf("a body that is not gzip: %v", err)
	}
}
