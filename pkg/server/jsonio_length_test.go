package server

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestJSONAnswersHaveTheirLength: a JSON answer, small (which net/http
// measures itself) or large (which writeJSON measures), comes with its
// Content-Length and is not chunked, so a client knows its end.
func TestJSONAnswersHaveTheirLength(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/api/v1/operations/control.noop/execute", `{"params":{}}`, 200},
		{"POST", "/api/v1/operations/control.nothing/execute", `{"params":{}}`, 404},
		{"GET", "/api/v1/operations", "", 200},
		{"GET", "/api/v1/openapi.json", "", 200},
		{"HEAD", "/api/v1/playbooks", "", 200},
		{"HEAD", "/api/v1/session", "", 200},
	} {
		req, err := http.NewRequest(c.method, ts.url+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+ts.keys["admin"])
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != c.status {
			t.Fatalf("%s %s: %d %v", c.method, c.path, res.StatusCode, err)
		}
		if c.method == "HEAD" {
			// The length a GET's answer would have.
			data = ts.get("admin", c.path).want(t, 200).body
		}
		if n, err := strconv.Atoi(res.Header.Get("Content-Length")); err != nil || n != len(data) || len(res.TransferEncoding) != 0 {
			t.Errorf("%s %s: Content-Length %q, %v, for %d bytes", c.method, c.path, res.Header.Get("Content-Length"), res.TransferEncoding, len(data))
		} else {
			t.Logf("%s %s: %d bytes", c.method, c.path, n)
		}
		if c.path == "/api/v1/operations" && len(data) < autoLength {
			t.Errorf("the list of operations is %d bytes: the test wants an answer over %d", len(data), autoLength)
		}
	}
}
