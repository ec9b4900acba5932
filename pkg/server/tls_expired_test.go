package server

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestExpiredClientCertificateOnAKeptConnection: the TLS handshake judges
// a client certificate's dates once, when the connection opens. A client
// that keeps its connection alive past the certificate's end (each request
// restarts the idle timeout) was still served with the certificate's
// roles; it is refused now, with what to do, as an expired key is.
func TestExpiredClientCertificateOnAKeptConnection(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "fleet CA")
	srvCert, srvKey := ca.issue(t, "server", "", true)
	cfg, err := TLSConfig(writeFile(t, dir, "srv.pem", srvCert), writeFile(t, dir, "srv.key", srvKey), writeFile(t, dir, "ca.pem", ca.pem))
	if err != nil {
		t.Fatal(err)
	}
	var skew atomic.Int64
	ts := newTestServer(t, func(c *Config) {
		c.TLS = cfg
		c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.pem)
	good, goodKey := ca.issue(t, "node-2", "spiffe://fleet/arsenal-node-2", false)
	pair, err := tls.X509KeyPair(good, goodKey)
	if err != nil {
		t.Fatal(err)
	}
	handshakes := 0
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair},
		VerifyConnection: func(tls.ConnectionState) error { handshakes++; return nil }}}
	t.Cleanup(tr.CloseIdleConnections)
	ts.client = &http.Client{Transport: tr, Timeout: 20 * time.Second}
	ts.get("", "/api/v1/operations").want(t, 200)
	// Two hours on, the certificate (valid for one more) has ended.
	skew.Store(int64(2 * time.Hour))
	e := ts.get("", "/api/v1/operations").wantError(t, 401, ClassAuthentication)
	if msg, _ := e["message"].(string); !strings.Contains(msg, "the client certificate (") || !strings.Contains(msg, "expired at") || !strings.Contains(msg, "renew it") {
		t.Errorf("the error: %q", msg)
	}
	if handshakes != 1 {
		t.Errorf("%d handshakes; the test means one connection kept alive", handshakes)
	}
}
