package cli

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeInterruptsTheRunOfAKilledProcess: a run that `arsenal-run run`
// records in serve's state dir, and whose process is then killed
// (SIGKILL: it records no end), is shown interrupted by the serve already
// running, and its event stream ends, though no other process opens the
// state dir after it; a cancel then says it ended, not that another
// process runs it.
func TestServeInterruptsTheRunOfAKilledProcess(t *testing.T) {
	f := newServeFixture(t)
	_, base := f.serve(t)
	p := start(t, "", "run", filepath.Join(f.playbooks, "sleeper.yaml"), "--state-dir", f.state)
	id := waitForRun(t, base, f.admin, "sleeper", "running")
	p.cmd.Process.Kill()
	<-p.done

	if got := waitForRun(t, base, f.admin, "sleeper", "interrupted"); got != id {
		t.Fatalf("run %s is interrupted; want %s", got, id)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/runs/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+f.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	buf := make([]byte, 4096)
	for { // the stream ends with the run's run_finished
		n, err := res.Body.Read(buf)
		body.Write(buf[:n])
		if err != nil {
			break
		}
	}
	res.Body.Close()
	if !strings.Contains(body.String(), "event: run_finished") || !strings.Contains(body.String(), `"status":"interrupted"`) {
		t.Errorf("event stream of the killed run:\n%s\nwant it to end with an interrupted run_finished", body.String())
	}
	code, out := apiCall(t, http.MethodPost, base+"/api/v1/runs/"+id+"/cancel", f.admin, nil)
	if msg, _ := out["error"].(map[string]any)["message"].(string); code != http.StatusConflict || !strings.Contains(msg, "already ended") {
		t.Errorf("cancel of the killed run: %d %v; want 409 saying it already ended", code, out)
	}
}

// waitForRun waits, up to a minute, for the newest run of playbook in
// serve's history to have status, and returns its id.
func waitForRun(t *testing.T, base, key, playbook, status string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var last map[string]any
	for {
		code, body := apiCall(t, http.MethodGet, base+"/api/v1/runs?playbook="+playbook, key, nil)
		if list, _ := body["runs"].([]any); code == http.StatusOK && len(list) > 0 {
			run, _ := list[0].(map[string]any)
			if run["status"] == status {
				return run["id"].(string)
			}
		}
		last = body
		if time.Now().After(deadline) {
			t.Fatalf("the newest run of %s never became %s; last answer: %v", playbook, status, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
