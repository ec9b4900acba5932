package cli

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestURLEscapeReachesOneEndpoint runs http.request against a loopback
// server with a name and a query value that would change the URL written
// bare: escaped, the name stays one path segment and the value one query
// parameter. validate warns of the bare form and still passes.
func TestURLEscapeReachesOneEndpoint(t *testing.T) {
	var mu sync.Mutex
	var uri []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uri = append(uri, r.RequestURI)
		mu.Unlock()
	}))
	defer srv.Close()
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "u.yaml", `version: 1
name: u
inputs:
  base: {type: string}
  name: {type: string}
  q: {type: string}
steps:
  - id: get
    op: http.request
    with:
      url: "${{ inputs.base }}/users/${{ urlPathEscape(inputs.name) }}?q=${{ urlQueryEscape(inputs.q) }}"
`)
	rep := filepath.Join(dir, "r.json")
	r := runMain(t, "run", pb, "--input", "base="+srv.URL, "--input", "name=../admin?x=", "--input", "q=a&admin=1 #x", "--report", rep)
	if r.code != ExitOK {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	if v := runMain(t, "validate", pb); v.code != ExitOK || strings.Contains(v.stdout+v.stderr, "warning") {
		t.Errorf("validate of the escaped URL: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := "/users/..%2Fadmin%3Fx=?q=a%26admin%3D1+%23x"; len(uri) != 1 || uri[0] != want {
		t.Errorf("the server was asked for %q, want %q", uri, want)
	}

	bare := writePlaybook(t, dir, "bare.yaml", `version: 1
name: bare
inputs:
  name: {type: string}
steps:
  - id: get
    op: http.request
    with: {url: "https://api.example.com/users/${{ inputs.name }}"}
`)
	v := runMain(t, "validate", bare)
	if v.code != ExitOK || !strings.Contains(v.stdout+v.stderr, "bare.yaml:8:52: warning: ${{ inputs.name }} sits in the path of http.request's url unescaped") ||
		!strings.Contains(v.stdout+v.stderr, "write ${{ urlPathEscape(inputs.name) }}") {
		t.Errorf("validate of the bare URL: exit %d, want 0 and a warning naming urlPathEscape\n%s%s", v.code, v.stdout, v.stderr)
	}
}
