package cluster

import (
	"context"
	"crypto/tls"
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

// TestNodeAskingForAClientCertificateSaysSo: a node that requires a client
// certificate (mutual TLS) is down saying so, under TLS 1.3 and 1.2, every
// time, for both probes. Before, the hint came from the node's alert
// alone, which a failed write of the request often hid under TLS 1.3
// ("broken pipe", "connection reset by peer"), and which Go's server
// under TLS 1.2 words "handshake failure", which got no hint.
func TestNodeAskingForAClientCertificateSaysSo(t *testing.T) {
	r := newRegistry(t)
	nodes := []any{
		map[string]any{"name": "tls13", "url": opstest.MutualTLSServer(t, &serverCert, tls.VersionTLS13) + "/healthz"},
		map[string]any{"name": "tls12", "url": opstest.MutualTLSServer(t, &serverCert, tls.VersionTLS12) + "/healthz"},
	}
	want := "the node asks for a client certificate (mutual TLS), and none is presented: the probes present none"
	for _, op := range []string{"cluster.health", "cluster.topology"} {
		out, err := opstest.Execute(r, context.Background(), op, map[string]any{"nodes": nodes})
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		for _, n := range out["nodes"].([]any) {
			n := n.(map[string]any)
			if e, _ := n["error"].(string); n["status"] != "down" || !strings.Contains(e, want) {
				t.Errorf("%s: node %s: %v %q; want down with %q", op, n["name"], n["status"], e, want)
			}
		}
	}
}
