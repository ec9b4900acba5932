package cluster

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestTLSFailuresSayWhatToDo: an https node whose TLS fails is down with
// what to change, as http.request says it. Before, the error was Go's
// alone ("tls: first record does not look like a TLS handshake", "x509:
// certificate signed by unknown authority"), which names neither the
// scheme to fix nor SSL_CERT_FILE.
func TestTLSFailuresSayWhatToDo(t *testing.T) {
	r := newRegistry(t)
	plain := server(t, ok)
	private := httptest.NewTLSServer(plain.Config.Handler)
	t.Cleanup(private.Close)
	// An sshd at the port: its banner is no TLS record and no HTTP.
	sshd := tcpListener(t, "SSH-2.0-OpenSSH_9.6\r\n")
	nodes := []any{
		map[string]any{"name": "plain", "url": strings.Replace(plain.URL, "http://", "https://", 1) + "/healthz"},
		map[string]any{"name": "private-ca", "url": private.URL + "/healthz"},
		map[string]any{"name": "sshd", "url": "https://" + sshd + "/healthz"},
		map[string]any{"name": "refused", "url": "https://" + closedAddr(t) + "/healthz"},
	}
	for _, op := range []string{"cluster.health", "cluster.topology"} {
		out, err := opstest.Execute(r, context.Background(), op, map[string]any{"nodes": nodes})
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		list := out["nodes"].([]any)
		for i, want := range []string{
			"write its URL with http://",
			"x509: certificate signed by unknown authority; if it comes from your own CA, point SSL_CERT_FILE at that CA's PEM file",
			"does not look like a TLS handshake; the node does not speak TLS on that port: check the port",
			"",
		} {
			n := list[i].(map[string]any)
			e, _ := n["error"].(string)
			if n["status"] != "down" || (want != "" && !strings.Contains(e, want)) || (want == "" && strings.Contains(e, "; ")) {
				t.Errorf("%s: node %s: %v %q; want down with %q", op, n["name"], n["status"], e, want)
			}
		}
	}
}
