package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serve's --trusted-proxy: the audit log's from of a request through the
// proxy is the client the proxy names, while a client that is not the
// proxy cannot name one itself.
func TestServeTrustedProxy(t *testing.T) {
	f := newServeFixture(t)
	p, url := f.serve(t, "--trusted-proxy", "127.0.0.1,10.0.0.0/8")
	p.waitFor(t, "client addresses from X-Forwarded-For of the trusted proxies 127.0.0.1/32, 10.0.0.0/8")
	if status := execWithXFF(t, url, f.admin, "6.6.6.6, 203.0.113.9, 10.1.2.3"); status != 200 {
		t.Fatalf("execute: %d", status)
	}
	data, err := os.ReadFile(filepath.Join(f.state, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(data), &line); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	if line["from"] != "203.0.113.9" {
		t.Errorf("audit from %v, want 203.0.113.9: %s", line["from"], data)
	}

	// The same serve trusting another address takes the connection's.
	g := newServeFixture(t)
	_, url2 := g.serve(t, "--trusted-proxy", "10.0.0.5")
	if status := execWithXFF(t, url2, g.admin, "6.6.6.6"); status != 200 {
		t.Fatalf("execute: %d", status)
	}
	if data := string(mustRead(t, filepath.Join(g.state, "audit.log"))); !strings.Contains(data, `"from":"127.0.0.1"`) {
		t.Errorf("a forged X-Forwarded-For was believed: %s", data)
	}
}

// execWithXFF executes control.log on the server at url with key, sending
// X-Forwarded-For: xff, and returns the answer's status.
func execWithXFF(t *testing.T, url, key, xff string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/v1/operations/control.log/execute", strings.NewReader(`{"params":{"message":"hi"}}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", xff)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestServeTrustedProxyUsage(t *testing.T) {
	f := newServeFixture(t)
	base := []string{"serve", "--state-dir", f.state, "--listen", "127.0.0.1:0", "--keys", f.keys}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--trusted-proxy", "10.0.0.5/8"}, `--trusted-proxy "10.0.0.5/8" has bits set past its /8: write 10.0.0.0/8 for the range, or 10.0.0.5 for the one host`},
		{[]string{"--trusted-proxy", "lb.internal"}, "host names are not resolved"},
		{[]string{"--proxy-header", "Forwarded"}, "add --trusted-proxy CIDR"},
		{[]string{"--trusted-proxy", "10.0.0.1", "--proxy-header", "X-Real-IP"}, "give X-Forwarded-For"},
	} {
		r := runMain(t, append(base, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
