package server

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
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

// TestRenewedClientCAOnAKeptConnection: a --client-ca file that holds
// the CA and its renewal (same name and key, a later end) is not warned
// of as the old CA ends, since the client certificates verify through
// the renewal; a connection kept alive past the old CA's end goes on
// too, whichever of the two the handshake's first chain went through.
func TestRenewedClientCAOnAKeptConnection(t *testing.T) {
	keptConnection(t, 3*time.Hour, 90*time.Minute, func(ca *testCA) []byte {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "fleet CA"},
			NotBefore: ca.cert.NotBefore, NotAfter: ca.cert.NotAfter.Add(4 * time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ca.key.PublicKey, ca.key)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}).want(t, 200)
}

// keptConnectionRefused makes a request with a client certificate valid
// for life more, then another on the same connection skew later, which
// is refused: it returns the refusal's message.
func keptConnectionRefused(t *testing.T, life, skewBy time.Duration) string {
	e := keptConnection(t, life, skewBy, nil).wantError(t, 401, ClassAuthentication)
	msg, _ := e["message"].(string)
	return msg
}

// keptConnection makes a request with a client certificate valid for
// life more, then another on the same connection skew later, and
// returns the second's response. renewal, when given, makes a CA put in
// the --client-ca file after the one that signed the certificates.
func keptConnection(t *testing.T, life, skewBy time.Duration, renewal func(*testCA) []byte) *resp {
	dir := t.TempDir()
	ca := newCA(t, "fleet CA")
	srvCert, srvKey := ca.issue(t, "server", "", true)
	caPEM := ca.pem
	if renewal != nil {
		caPEM = append(append([]byte{}, ca.pem...), renewal(ca)...)
	}
	cfg, err := TLSConfig(writeFile(t, dir, "srv.pem", srvCert), writeFile(t, dir, "srv.key", srvKey), writeFile(t, dir, "ca.pem", caPEM))
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
	r := ts.get("", "/api/v1/operations")
	if handshakes != 1 {
		t.Errorf("%d handshakes; the test means one connection kept alive", handshakes)
	}
	return r
}
