package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tlsServer serves TLS for 127.0.0.1 with a certificate of the CA in
// ca.pem, asking for client certificates of that CA as clientAuth says;
// cert and key are a client certificate of that CA (CN node, SAN URI
// spiffe://fleet/unmapped). Every request gets the 401 of a caller the
// server does not know.
func tlsServer(t *testing.T, clientAuth tls.ClientAuthType) (base, ca, cert, key string) {
	t.Helper()
	ca, sc, sk, cert, key := pemFiles(t, t.TempDir(), "spiffe://fleet/unmapped")
	pair, err := tls.LoadX509KeyPair(sc, sk)
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := os.ReadFile(ca)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hint := ""
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			hint = ", or add the client certificate's subject to certs: in the keys file"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"class":"authentication","message":"no credentials: send Authorization: Bearer KEY%s"}}`, hint)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool, ClientAuth: clientAuth}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes that fail on purpose
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL, ca, cert, key
}

// TestRemoteClientCertificateHints: with --cert and no key, a refusal
// says what is wrong with the certificate, not to set the key's variable.
func TestRemoteClientCertificateHints(t *testing.T) {
	const keyHint = "set $ARSENAL_API_KEY"
	// Sent, verified, but its subject is not in certs:.
	base, ca, cc, ck := tlsServer(t, tls.RequireAndVerifyClientCert)
	r := runEnv(t, map[string]string{}, "remote", "--server", base, "--ca", ca, "--cert", cc, "--key", ck, "ops", "list")
	r.want(t, ExitDenied, nil, []string{"none of its subjects (node, spiffe://fleet/unmapped) is in certs: of the server's keys file"})
	if strings.Contains(r.stderr, keyHint) {
		t.Errorf("the key's hint, with --cert given:\n%s", r.stderr)
	}
	// Of another CA of the same name (made anew, say): sent, and refused
	// in the handshake.
	_, _, _, twinCert, twinKey := pemFiles(t, t.TempDir(), "spiffe://fleet/twin")
	r = runEnv(t, map[string]string{}, "remote", "--server", base, "--ca", ca, "--cert", twinCert, "--key", twinKey, "ops", "list")
	r.want(t, ExitFailed, nil, []string{"the server refused the client certificate --cert " + twinCert + " (tls: unknown certificate authority): it must be signed by the CA of the server's --client-ca"})
	// Of another CA: Go's client sends no certificate, and the handshake
	// fails with "certificate required".
	otherCert, otherKey := foreignClientCert(t)
	r = runEnv(t, map[string]string{}, "remote", "--server", base, "--ca", ca, "--cert", otherCert, "--key", otherKey, "ops", "list")
	r.want(t, ExitFailed, nil, []string{"--cert " + otherCert + " is not signed by a CA the server accepts for client certificates"})
	// With a key, which a failed handshake does not change.
	r = runEnv(t, map[string]string{"ARSENAL_API_KEY": "ak_test"}, "remote", "--server", base, "--ca", ca, "--cert", otherCert, "--key", otherKey, "ops", "list")
	r.want(t, ExitFailed, nil, []string{"is not signed by a CA the server accepts for client certificates"})
	// Of another CA, to a server that takes a certificate if given: the
	// request goes without one and is refused.
	base, ca, _, _ = tlsServer(t, tls.VerifyClientCertIfGiven)
	r = runEnv(t, map[string]string{}, "remote", "--server", base, "--ca", ca, "--cert", otherCert, "--key", otherKey, "ops", "list")
	r.want(t, ExitDenied, nil, []string{"is not signed by a CA the server accepts for client certificates"})
	if strings.Contains(r.stderr, keyHint) {
		t.Errorf("the key's hint, with --cert given:\n%s", r.stderr)
	}
	// A server that asks for no certificate: --cert is not sent, and a
	// key is what it takes.
	base, ca, cc, ck = tlsServer(t, tls.NoClientCert)
	r = runEnv(t, map[string]string{}, "remote", "--server", base, "--ca", ca, "--cert", cc, "--key", ck, "ops", "list")
	r.want(t, ExitDenied, nil, []string{"the server does not ask for client certificates", keyHint})
	// Without --cert, to a server that requires one.
	base, ca, _, _ = tlsServer(t, tls.RequireAndVerifyClientCert)
	r = runEnv(t, map[string]string{"ARSENAL_API_KEY": "ak_test"}, "remote", "--server", base, "--ca", ca, "ops", "list")
	r.want(t, ExitFailed, nil, []string{"the server asks for a client certificate: give --cert and --key"})
}

// foreignClientCert is a client certificate of a CA other than those of
// pemFiles, with another name.
func foreignClientCert(t *testing.T) (cert, key string) {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "stranger"}, NotBefore: caTmpl.NotBefore, NotAfter: caTmpl.NotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caTmpl, &k.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(k)
	cert, key = filepath.Join(dir, "stranger.pem"), filepath.Join(dir, "stranger.key")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600)
	return cert, key
}
