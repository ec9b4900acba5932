package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestScheduleTracesItsRuns: the scheduler's runs are traced like run's,
// by --trace-endpoint, with the trigger schedule on the run's span.
func TestScheduleTracesItsRuns(t *testing.T) {
	var mu sync.Mutex
	triggers := map[string]string{} // run span name → arsenal.trigger
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					for _, kv := range s.Attributes {
						if kv.Key == "arsenal.trigger" {
							triggers[s.Name] = kv.Value.GetStringValue()
						}
					}
				}
			}
		}
	}))
	defer collector.Close()
	dir := t.TempDir()
	jobs := filepath.Join(dir, "jobs")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, jobs, "tick.yaml", everySecond)
	p := start(t, "scheduler started", "schedule", jobs, "--state-dir", filepath.Join(dir, "state"), "--trace-endpoint", collector.URL)
	defer func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	}()
	waitFor(t, "the span of a scheduled run", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return triggers["run tick"] != ""
	})
	mu.Lock()
	if got := triggers["run tick"]; got != "schedule" {
		t.Errorf("the run span's arsenal.trigger is %q, want schedule", got)
	}
	mu.Unlock()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != ExitOK {
		t.Fatalf("exit %d after SIGTERM\n%s", code, p.stderr.String())
	}
	if strings.Contains(p.stderr.String(), "tracing is off") {
		t.Errorf("tracing was turned off:\n%s", p.stderr.String())
	}
}
