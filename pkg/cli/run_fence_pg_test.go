package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// TestRunStopsItsGroupRunWhenCutOffFromTheDatabase: `run --state URL`
// that cannot reach the database for half its lease stops its run of a
// concurrency group, as serve and schedule do, before the others take it
// for dead at the end of the lease and free the group: the run ends
// cancelled, saying why, and is recorded so once the database is back.
//
// It stops a PostgreSQL server of its own for a while, and runs the
// binary alone, so it runs beside other tests.
func TestRunStopsItsGroupRunWhenCutOffFromTheDatabase(t *testing.T) {
	t.Parallel()
	pg := pgtest.Private(t)
	url := strings.Replace(pg.NewDatabase(t), "postgres@", "postgres:"+secret+"@", 1)
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "held.yaml", `version: 1
name: held
concurrency: {group: g}
steps:
  - {id: say, op: control.log, with: {message: about to sleep}}
  - {id: nap, op: control.sleep, with: {duration: 1h}, needs: [say]}
`)
	p := start(t, "about to sleep", "run", pb, "--state", url, "--log-format", "json")
	defer func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	}()
	up, err := pg.Down()
	if err != nil {
		t.Fatal(err)
	}
	// Half the default lease, and the time to cancel the run.
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(p.stderr.String(), "could not reach the database") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := up(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.stderr.String(), "could not reach the database") {
		t.Fatalf("the run of a group cut off from the database for two minutes does not stop:\n%s", p.stderr.String())
	}
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("run did not exit once the database was back:\n%s", p.stderr.String())
	}
	if code := p.cmd.ProcessState.ExitCode(); code != ExitInterrupted {
		t.Errorf("run stopped by the fence: exit %d, want %d\n%s", code, ExitInterrupted, p.stderr.String())
	}
	list := runBinary(t, dir, "history", "--state", url, "--playbook", "held", "--json")
	var runs []struct{ ID, Status string }
	if err := json.Unmarshal([]byte(list.stdout), &runs); err != nil || len(runs) != 1 {
		t.Fatalf("history --json: %v\n%s%s", err, list.stdout, list.stderr)
	}
	show := runBinary(t, dir, "history", "show", runs[0].ID, "--state", url, "--json")
	var got struct {
		Run struct {
			Status string `json:"status"`
			Error  struct {
				Message string `json:"message"`
			} `json:"error"`
		} `json:"run"`
	}
	if err := json.Unmarshal([]byte(show.stdout), &got); err != nil {
		t.Fatalf("history show --json: %v\n%s%s", err, show.stdout, show.stderr)
	}
	if got.Run.Status != "cancelled" || !strings.Contains(got.Run.Error.Message, "half its lease") {
		t.Errorf("the run stopped by the fence is recorded %s, %q; want cancelled, saying it could not reach the database for half its lease",
			got.Run.Status, got.Run.Error.Message)
	}
}
