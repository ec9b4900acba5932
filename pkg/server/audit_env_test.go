package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// An API caller cannot mark a value secret, so the values of env and of
// every header but the plain ones are masked wherever params are shown,
// their names kept; nothing else arsenal-run stores echoes them.
func TestAPIEnvAndHeadersAreMaskedInTheAudit(t *testing.T) {
	const envSecret, headerSecret = "EnvSecretXYZ123", "HeaderSecretQQ77"
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	ts := newTestServer(t)
	started := ts.post("operator", "/api/v1/processes", map[string]any{"command": []string{"sleep", "300"}, "name": "masked", "restart": "never",
		"env": map[string]any{"DB_PASSWORD": envSecret}}).want(t, 201)
	killAtEnd(ts, started.json(t))
	exec := ts.post("operator", "/api/v1/operations/shell.exec/execute", map[string]any{"params": map[string]any{
		"command": []string{"true"}, "env": map[string]any{"DB_PASSWORD": envSecret, "PORT": 8080}}}).want(t, 200)
	get := ts.post("operator", "/api/v1/operations/http.request/execute", map[string]any{"params": map[string]any{
		"url": up.URL, "headers": map[string]any{"X-Service-Secret": headerSecret, "Accept": "application/json"}}}).want(t, 200)
	batch := ts.post("operator", "/api/v1/batch", map[string]any{"operations": []any{map[string]any{"op": "shell.exec", "params": map[string]any{
		"command": []string{"true"}, "env": map[string]any{"DB_PASSWORD": envSecret}}}}}).want(t, 200)

	data, err := os.ReadFile(ts.audit)
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		var l struct {
			Op     string         `json:"op"`
			Params map[string]any `json:"params"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if v, ok := l.Params["env"]; ok {
			got = append(got, v)
		}
		if v, ok := l.Params["headers"]; ok {
			got = append(got, v)
		}
	}
	masked := map[string]any{"DB_PASSWORD": "***"}
	want := []any{masked, map[string]any{"DB_PASSWORD": "***", "PORT": "***"},
		map[string]any{"X-Service-Secret": "***", "Accept": "application/json"}, masked}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audited env and headers (-want +got):\n%s", diff)
	}
	// Nor do the answers, or the records of the runs, hold them.
	for _, r := range []*resp{started, exec, get, batch} {
		if strings.Contains(string(r.body), envSecret) || strings.Contains(string(r.body), headerSecret) {
			t.Errorf("an answer holds a secret: %s", r.body)
		}
		for _, id := range runIDsIn(r.json(t)) {
			rep := ts.get("viewer", "/api/v1/runs/"+id).want(t, 200)
			if strings.Contains(string(rep.body), envSecret) || strings.Contains(string(rep.body), headerSecret) {
				t.Errorf("the report of run %s holds a secret: %s", id, rep.body)
			}
		}
	}
	for _, s := range []string{envSecret, headerSecret} {
		if strings.Contains(string(data), s) {
			t.Errorf("the audit log holds %s:\n%s", s, data)
		}
	}
	// The state dir (history, run logs) holds them nowhere either.
	filepath.WalkDir(ts.state, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && (bytes.Contains(b, []byte(envSecret)) || bytes.Contains(b, []byte(headerSecret))) {
			t.Errorf("%s holds a secret", path)
		}
		return nil
	})
}

// runIDsIn returns the run ids of an execute's, a process start's or a
// batch's answer.
func runIDsIn(m map[string]any) []string {
	var out []string
	if id, ok := m["run_id"].(string); ok {
		out = append(out, id)
	}
	if rs, ok := m["results"].([]any); ok {
		for _, r := range rs {
			out = append(out, runIDsIn(r.(map[string]any))...)
		}
	}
	if len(out) == 0 {
		panic(fmt.Sprintf("no run id in %v", m))
	}
	return out
}
