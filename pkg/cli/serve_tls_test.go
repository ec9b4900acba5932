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
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// pemFiles makes a CA, a server certificate for 127.0.0.1 and a client
// certificate with the SAN URI uri, and writes them as PEM files.
func pemFiles(t *testing.T, dir, uri string) (ca, srvCert, srvKey, cliCert, cliKey string) {
	t.Helper()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := func(name string, tmpl *x509.Certificate) (string, string) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl.SerialNumber, tmpl.NotBefore, tmpl.NotAfter = big.NewInt(time.Now().UnixNano()), time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kd, _ := x509.MarshalECPrivateKey(k)
		return write(name+".pem", "CERTIFICATE", der), write(name+".key", "EC PRIVATE KEY", kd)
	}
	u, _ := url.Parse(uri)
	srvCert, srvKey = leaf("server", &x509.Certificate{Subject: pkix.Name{CommonName: "server"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	cliCert, cliKey = leaf("client", &x509.Certificate{Subject: pkix.Name{CommonName: "node"}, URIs: []*url.URL{u},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return write("ca.pem", "CERTIFICATE", caDER), srvCert, srvKey, cliCert, cliKey
}

// One arsenal-run driving another over mutual TLS: the client certificate's
// subject maps to roles in the keys file; no key is needed.
func TestRemoteOverMutualTLS(t *testing.T) {
	f := newServeFixture(t)
	ca, sc, sk, cc, ck := pemFiles(t, f.dir, "spiffe://fleet/arsenal-node-2")
	keys, _ := os.ReadFile(f.keys)
	os.WriteFile(f.keys, append(keys, []byte("certs:\n  - {subject: \"spiffe://fleet/arsenal-node-2\", roles: [operator]}\n")...), 0o600)
	p := start(t, "listening on", "serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--playbooks", f.playbooks, "--state-dir", f.state,
		"--tls-cert", sc, "--tls-key", sk, "--client-ca", ca)
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	m := regexp.MustCompile(`listening on (https://127\.0\.0\.1:[0-9]+)`).FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("no https address in %q", p.stderr.String())
	}
	base := m[1]
	r := runEnv(t, map[string]string{}, "remote", "--server", base, "--ca", ca, "--cert", cc, "--key", ck, "run", "hello", "--wait")
	if r.code != ExitOK || !strings.Contains(r.stdout, "succeeded") {
		t.Errorf("remote run over mTLS: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// No step reads the server's key or writes the CA it trusts clients by,
	// whatever its roles' file roots: the files are protected.
	for _, path := range []string{sk, ca} {
		r = runEnv(t, map[string]string{"ARSENAL_API_KEY": f.admin}, "remote", "--server", base, "--ca", ca, "--cert", cc, "--key", ck,
			"exec", "file.read", "--param", "path="+path)
		if r.code == ExitOK || !strings.Contains(r.stderr, "no file operation touches") || strings.Contains(r.stdout, "PRIVATE KEY") {
			t.Errorf("file.read %s through the server: %d\n%s%s", filepath.Base(path), r.code, r.stdout, r.stderr)
		}
	}
	// Without the client certificate the handshake fails.
	r = runEnv(t, map[string]string{"ARSENAL_API_KEY": f.admin}, "remote", "--server", base, "--ca", ca, "ops", "list")
	if r.code != ExitFailed {
		t.Errorf("remote without a client certificate: %d %s", r.code, r.stderr)
	}
}
