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
	// Two hours on, the certificate (valid for one more) has ended.
	msg := keptConnectionRefused(t, time.Hour, 2*time.Hour)
	if !strings.Contains(msg, "the client certificate (CN \"node-2\"") || !strings.Contains(msg, "expired at") || !strings.Contains(msg, "renew it") {
		t.Errorf("the error: %q", msg)
	}
}

// TestExpiredClientCAOnAKeptConnection: when the CA in the chain ended
// before the client's certificate, the refusal names the CA as what
// ended, not the client's certificate, whose renewal would not help.
func TestExpiredClientCAOnAKeptConnection(t *testing.T) {
	msg := keptConnectionRefused(t, 3*time.Hour, 90*time.Minute)
	if !strings.Contains(msg, "the CA (CN \"fleet CA\") of the client certificate (CN \"node-2\"") || !strings.Contains(msg, "expired at") ||
		!strings.Contains(msg, "--client-ca needs the renewed CA") || strings.Contains(msg, "renew it") {
		t.Errorf("the error: %q", msg)
	}
}

// keptConnectionRefused makes a request with a client certificate valid
// for life more, then another on the same connection skew later, which
// is refused: it returns the refusal's message.
func keptConnectionRefused(t *testing.T, life, skewBy time.Duration) string {
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
	good, goodKey := ca.issueUntil(t, "node-2", "spiffe://fleet/arsenal-node-2", false, time.Now().Add(life))
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
	skew.Store(int64(skewBy))
	e := ts.get("", "/api/v1/operations").wantError(t, 401, ClassAuthentication)
	if handshakes != 1 {
		t.Errorf("%d handshakes; the test means one connection kept alive", handshakes)
	}
	msg, _ := e["message"].(string)
	return msg
}
