package server

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestRunOfAPlaybookEditedSinceLoadedSaysSo: serve reads its playbooks
// at start and on SIGHUP only, so a run started through the API after
// the playbook's file was edited, or removed, runs the text loaded
// before. It used to do so without a word; now the API's answer, the
// run_started event, the report and the server's log (after "run
// started", with the run id and the file) say so and what to do, and
// the playbook's description says its file changed. Nothing is said
// while the file is as it was loaded.
func TestRunOfAPlaybookEditedSinceLoadedSaysSo(t *testing.T) {
	var logged lockedBuffer
	ts := newTestServerWith(t, func(c *runs.Config) { c.Log, c.LogLevel = &logged, zerolog.InfoLevel })
	file := filepath.Join(ts.pbDir, "hello.yaml")

	if got := ts.get("viewer", "/api/v1/playbooks/hello").want(t, 200).json(t)["file_changed"]; got != nil {
		t.Errorf("file_changed of a playbook as loaded: %v", got)
	}
	first := ts.post("operator", "/api/v1/playbooks/hello/runs?wait=30s", map[string]any{}).want(t, 200).json(t)
	if w := first["warnings"]; w != nil {
		t.Errorf("a run of the playbook as loaded has warnings: %v", w)
	}

	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(text, "# edited\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	var changed string
	for _, pb := range ts.get("viewer", "/api/v1/playbooks").want(t, 200).json(t)["playbooks"].([]any) {
		info := pb.(map[string]any)
		note, _ := info["file_changed"].(string)
		if info["name"] != "hello" {
			if note != "" {
				t.Errorf("playbook %v, not edited, says %q", info["name"], note)
			}
			continue
		}
		changed = note
	}
	for _, want := range []string{"the playbook's file " + file + " changed since it was loaded", "its runs run it as loaded",
		"arsenal-run validate " + file, "kill -HUP "} {
		if !strings.Contains(changed, want) {
			t.Errorf("file_changed of the edited playbook: %q, want it to say %q", changed, want)
		}
	}

	started := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202).json(t)
	id := started["run_id"].(string)
	warnings, _ := started["warnings"].([]any)
	if len(warnings) != 1 {
		t.Fatalf("the answer's warnings: %v, want one", started["warnings"])
	}
	warning := warnings[0].(string)
	for _, want := range []string{"the playbook's file " + file + " changed since it was loaded, and this run runs it as loaded",
		"arsenal-run validate " + file, "kill -HUP "} {
		if !strings.Contains(warning, want) {
			t.Errorf("warning %q does not say %q", warning, want)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events := ts.subscribe(t, ctx, id, "").rest(t)
	if len(events) < 2 {
		t.Fatalf("events: %v", events)
	}
	if ev := events[0]; ev.event != "run_started" || !sameStrings(ev.data["warnings"], warning) {
		t.Errorf("first event %s, warnings %v; want run_started with the warning", ev.event, ev.data["warnings"])
	}
	last := events[len(events)-1].data
	if rep, _ := last["report"].(map[string]any); rep == nil || !sameStrings(rep["warnings"], warning) {
		t.Errorf("run_finished's report: %v, want the warning", last["report"])
	}
	if rep := ts.get("viewer", "/api/v1/runs/"+id).want(t, 200).json(t); !sameStrings(rep["warnings"], warning) {
		t.Errorf("the run's report has warnings %v, want the warning", rep["warnings"])
	}

	var line map[string]any
	afterStart := false
	sc := bufio.NewScanner(strings.NewReader(logged.String()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil || m["run_id"] != id {
			continue
		}
		if m["message"] == "run started" {
			afterStart = true
		}
		if m["message"] == warning {
			line = m
			if !afterStart {
				t.Errorf("the warning was logged before the run's \"run started\" line")
			}
		}
	}
	if line == nil || line["level"] != "warn" || line["file"] != file || line["playbook"] != "hello" {
		t.Errorf("the log's warning: %v, want a warn line with the run id, the file and the playbook\nlog:\n%s", line, logged.String())
	}

	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	gone := ts.post("operator", "/api/v1/playbooks/hello/runs?wait=30s", map[string]any{}).want(t, 200).json(t)
	w, _ := gone["warnings"].([]any)
	if len(w) != 1 || !strings.Contains(w[0].(string), "was removed since it was loaded, and this run runs it as loaded") {
		t.Errorf("the report of a run of a removed file has warnings %v", gone["warnings"])
	}
}

// sameStrings tells whether v, a decoded JSON array, is exactly want.
func sameStrings(v any, want ...string) bool {
	list, ok := v.([]any)
	if !ok || len(list) != len(want) {
		return false
	}
	for i, x := range list {
		if x != want[i] {
			return false
		}
	}
	return true
}
