package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 valid from
// notBefore to notAfter, and its key.
func selfSigned(t *testing.T, dir string, notBefore, notAfter time.Time) (cert, key string) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "server"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(k)
	cert, key = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600)
	return cert, key
}

// TestServeWarnsOfAnExpiredTLSCertificate: serve started with a
// certificate past its end says so, as it does of an expired key, rather
// than serve it silently while every client's handshake fails.
func TestServeWarnsOfAnExpiredTLSCertificate(t *testing.T) {
	f := newServeFixture(t)
	end := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	sc, sk := selfSigned(t, t.TempDir(), end.Add(-24*time.Hour), end)
	p := start(t, "listening on", "serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--playbooks", f.playbooks, "--state-dir", f.state,
		"--tls-cert", sc, "--tls-key", sk)
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	want := "WRN the TLS certificate " + sc + " expired at " + end.Format(time.RFC3339) + ", so clients refuse every connection"
	if !strings.Contains(p.stderr.String(), want) {
		t.Errorf("no %q in\n%s", want, p.stderr.String())
	}
}
