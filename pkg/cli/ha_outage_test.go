package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// TestDatabaseOutageAnswers503: while the shared database is away, the
// requests that need it answer 503 with class unavailable and a
// Retry-After, as the API documents an outage: not 500, not internal.
func TestDatabaseOutageAnswers503(t *testing.T) {
	t.Parallel()
	c, pg := newHAClusterAlone(t)
	r := c.start(t)
	id := c.submit(t, r, "hello")
	waitWithin(t, 20e9, "the run recorded as ended", func() bool {
		return c.count(t, `SELECT count(*) FROM runs WHERE id = $1 AND status != 'running'`, id) == 1
	})
	apiCall(t, "GET", r.base+"/api/v1/runs/"+id, c.fix.admin, nil)
	up, err := pg.Down()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := up(); err != nil {
			t.Fatal(err)
		}
	}()
	// A run this replica has not read before: the database must tell of
	// it. (An ended run it read is answered from its cache.)
	other := "20260101T000000-0123456789abcdef0123456789abcdef"
	code, _ := apiCall(t, "GET", r.base+"/api/v1/runs/"+id, c.fix.admin, nil)
	if code != http.StatusOK {
		t.Errorf("GET a run read before the outage: %d, want 200 from the cache", code)
	}
	for _, req := range []struct{ method, path string }{
		{"GET", "/api/v1/runs/" + other},
		{"GET", "/api/v1/runs"},
		{"GET", "/api/v1/runs/" + other + "/events"},
		{"POST", "/api/v1/runs/" + other + "/cancel"},
		{"POST", "/api/v1/playbooks/hello/runs"},
	} {
		var body *bytes.Reader
		if req.method == "POST" {
			body = bytes.NewReader([]byte(`{}`))
		} else {
			body = bytes.NewReader(nil)
		}
		hr, _ := http.NewRequest(req.method, r.base+req.path, body)
		hr.Header.Set("Authorization", "Bearer "+c.fix.admin)
		hr.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatalf("%s %s: %v", req.method, req.path, err)
		}
		var eb struct {
			Error struct {
				Class   string `json:"class"`
				Message string `json:"message"`
			} `json:"error"`
		}
		json.NewDecoder(res.Body).Decode(&eb)
		res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable || eb.Error.Class != "unavailable" || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s during an outage: %d %s %q (Retry-After %q); want 503 unavailable with Retry-After",
				req.method, req.path, res.StatusCode, eb.Error.Class, eb.Error.Message, res.Header.Get("Retry-After"))
		}
	}
}
