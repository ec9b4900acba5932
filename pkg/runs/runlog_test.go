package runs

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// lockedBuffer is a log writer that runs may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines are the JSON log lines written so far.
func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, s := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if s == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("log line %q: %v", s, err)
		}
		out = append(out, m)
	}
	return out
}

// finished is the "run finished" line of run id, or nil.
func finished(lines []map[string]any, id string) map[string]any {
	for _, l := range lines {
		if l["message"] == "run finished" && l["run_id"] == id {
			return l
		}
	}
	return nil
}

// TestDeniedRunsLogTheirEnd: an execute and a playbook run that preflight
// denies never reach the engine, yet end with the "run finished" line at
// warn that every failed run writes, naming the playbook and the error.
func TestDeniedRunsLogTheirEnd(t *testing.T) {
	var log lockedBuffer
	m := newManager(t, Config{Log: &log, LogLevel: zerolog.WarnLevel}, Limits{})
	ctx := context.Background()
	viewer := Caller{Roles: []string{"viewer"}, Name: "ci", Trigger: TriggerAPI}

	res, err := m.ExecuteOp(ctx, OpRequest{Op: "shell.exec", Params: map[string]any{"command": []any{"true"}}, Caller: viewer})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != report.StatusDenied {
		t.Fatalf("the viewer's execute is %s, want denied", res.Status)
	}
	h, err := m.Start(ctx, Request{Path: writePlaybook(t, "version: 1\nname: sh\nsteps:\n  - {id: sh, op: shell.exec, with: {command: [\"true\"]}}\n"), Caller: viewer})
	if err != nil {
		t.Fatal(err)
	}
	if rep := wait(t, h); rep.Status != report.StatusFailed {
		t.Fatalf("the viewer's run is %s, want failed", rep.Status)
	}
	lines := log.lines(t)
	for _, run := range []struct{ id, playbook string }{{res.RunID, res.Report.Playbook.Name}, {h.ID(), "sh"}} {
		l := finished(lines, run.id)
		if l == nil {
			t.Errorf("no run finished line for denied run %s in:\n%v", run.id, lines)
			continue
		}
		if l["level"] != "error" || l["playbook"] != run.playbook || l["status"] != "failed" ||
			l["error_class"] != "authorization" || !strings.Contains(l["error"].(string), "authorization denied") {
			t.Errorf("run finished line of %s: %v", run.id, l)
		}
	}
}

// TestConfirmHintByFrontEnd: a confirm: step that nobody can be asked
// tells what to do in the words of the front end: the request's hint,
// else the service's for the request's trigger (a queue starts the API's
// runs), else the CLI's --yes.
func TestConfirmHintByFrontEnd(t *testing.T) {
	m := newManager(t, Config{ConfirmHints: map[Trigger]string{TriggerAPI: "start it with ask"}}, Limits{})
	path := writePlaybook(t, "version: 1\nname: asks\nsteps:\n  - {id: go, op: control.noop, confirm: \"Go?\"}\n")
	for _, tc := range []struct {
		name string
		req  Request
		want string
	}{
		{"the trigger's", Request{Caller: Caller{Trigger: TriggerAPI}}, "but start it with ask"},
		{"the request's", Request{Caller: Caller{Trigger: TriggerAPI}, ConfirmHint: "ask nicely"}, "but ask nicely"},
		{"the CLI's", Request{Caller: Caller{Trigger: TriggerCLI}}, "run with --yes to confirm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Path = path
			h, err := m.Start(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			st := wait(t, h).Steps[0]
			if st.Status != report.StatusDenied || st.Error == nil || !strings.HasSuffix(st.Error.Message, tc.want) {
				t.Errorf("step %s: %+v, want its error to end with %q", st.Status, st.Error, tc.want)
			}
		})
	}
}
