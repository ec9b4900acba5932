package netcheck

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestTLSCertHintFitsTheFailure: a certificate that does not verify says
// what checks it: ca_pem for one of a private CA, server_name for one of
// other names; every failure pointed at insecure_skip_verify alone. A port
// that speaks no TLS says to check the port.
func TestTLSCertHintFitsTheFailure(t *testing.T) {
	s := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer s.Close()
	addr := strings.TrimPrefix(s.URL, "https://")
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}))
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "plain") }))
	defer plain.Close()

	r := newRegistry(t)
	for _, tc := range []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"address": addr}, "give that CA's PEM in ca_pem"},
		{map[string]any{"address": addr, "ca_pem": otherCA(t)}, "no certificate in ca_pem issued it"},
		{map[string]any{"address": addr, "ca_pem": caPEM, "server_name": "other.test"}, "set server_name to one of the names it covers"},
		{map[string]any{"address": strings.TrimPrefix(plain.URL, "http://")}, "the port does not speak TLS"},
	} {
		_, err := opstest.Execute(r, context.Background(), "net.tls_cert", tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: want %q in %v", tc.raw["address"], tc.want, err)
		}
	}
}

// otherCA is the PEM of a CA that issued nothing the test servers show.
func otherCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
