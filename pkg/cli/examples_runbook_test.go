package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// loadExample loads playbooks/NAME.yaml with the built-in operations.
func loadExample(t *testing.T, name string) *steps.Playbook {
	t.Helper()
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	pb, err := steps.Load(examplePlaybook(t, name), reg)
	if err != nil {
		t.Fatal(err)
	}
	return pb
}

// exampleStep returns the step id of pb's steps list.
func exampleStep(t *testing.T, pb *steps.Playbook, id string) *steps.Step {
	t.Helper()
	for _, s := range pb.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("%s has no step %s", pb.Name, id)
	return nil
}

// retryWindow is how long a step's retries wait in all when every attempt
// fails at once: the delays after attempts 1 to attempts-1.
func retryWindow(r steps.Retry) time.Duration {
	var total time.Duration
	d := r.Delay
	for n := 1; n < r.Attempts; n++ {
		total += d
		d = time.Duration(float64(d) * max(r.Backoff, 1))
		if r.MaxDelay > 0 && d > r.MaxDelay {
			d = r.MaxDelay
		}
	}
	return total
}

// TestIncidentRunbookVerifyWaitsOutTheRestart: while the service restarts
// its port may stay closed for a while; the verify step's retries of a
// refused connection must last as long as its repeat waits for the 200,
// or a service that takes a few seconds to listen again fails the run
// long before repeat.timeout.
func TestIncidentRunbookVerifyWaitsOutTheRestart(t *testing.T) {
	s := exampleStep(t, loadExample(t, "incident-service-restart"), "verify")
	if s.Repeat == nil || s.Retry.Dynamic() {
		t.Fatalf("verify: repeat %v, dynamic retry %v", s.Repeat, s.Retry.Dynamic())
	}
	if got := retryWindow(s.Retry); got < s.Repeat.Timeout {
		t.Errorf("verify retries a refused connection for %s, less than its repeat.timeout of %s", got, s.Repeat.Timeout)
	}
}

// TestIncidentRunbookCancelledCheckIsNotUnhealthy: a run cancelled while
// its health check waits for an answer tells the incident channel that
// the check was cancelled, not that the service was unhealthy because of
// the signal.
func TestIncidentRunbookCancelledCheckIsNotUnhealthy(t *testing.T) {
	needOps(t, "file.read", "notify.webhook")
	asked := make(chan struct{}, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- struct{}{}:
		default:
		}
		<-r.Context().Done() // never answers: the run is cancelled meanwhile
	}))
	defer app.Close()
	hook := &receiver{}
	hooks := httptest.NewServer(hook)
	defer hooks.Close()
	logFile := filepath.Join(t.TempDir(), "api.log")
	os.WriteFile(logFile, []byte("started\n"), 0o644)

	rep := filepath.Join(t.TempDir(), "r.json")
	p := startEnv(t, []string{"INCIDENT_WEBHOOK=" + hooks.URL + "/hook"}, "run started",
		"run", examplePlaybook(t, "incident-service-restart"), "--role", "admin", "--log-format", "json", "--report", rep,
		"--input", "service=api", "--input", "health_url="+app.URL+"/healthz", "--input", "log_file="+logFile)
	select {
	case <-asked:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("the health check never asked; stderr:\n%s", p.stderr.String())
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(t); code != ExitInterrupted {
		t.Fatalf("exit %d\n%s", code, p.stderr.String())
	}
	if got := statuses(readReport(t, rep))["check"]; got != report.StatusCancelled {
		t.Fatalf("check %s, want cancelled", got)
	}
	text := hook.texts()
	if strings.Contains(text, "was unhealthy") || !strings.Contains(text, "api: the health check was cancelled; nothing was restarted.") {
		t.Errorf("the webhook got %s", text)
	}
}
