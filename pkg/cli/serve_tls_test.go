package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
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
	"syscall"
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

// TestServeSIGHUPReloadsTheTLSCertificate: a certificate renewed in
// place is served from the next SIGHUP on, as systemctl reload promises;
// one that does not load keeps the certificate in force and says why.
func TestServeSIGHUPReloadsTheTLSCertificate(t *testing.T) {
	f := newServeFixture(t)
	_, sc, sk, _, _ := pemFiles(t, f.dir, "spiffe://fleet/a")
	p := start(t, "listening on", "serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--playbooks", f.playbooks, "--state-dir", f.state,
		"--tls-cert", sc, "--tls-key", sk)
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	m := regexp.MustCompile(`listening on https://(127\.0\.0\.1:[0-9]+)`).FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("no https address in %q", p.stderr.String())
	}
	servedCert := func() []byte {
		t.Helper()
		c, err := tls.Dial("tcp", m[1], &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Raw
	}
	fileCert := func(path string) []byte {
		t.Helper()
		data, _ := os.ReadFile(path)
		b, _ := pem.Decode(data)
		if b == nil {
			t.Fatalf("no PEM in %s", path)
		}
		return b.Bytes
	}
	if !bytes.Equal(servedCert(), fileCert(sc)) {
		t.Fatal("serve does not serve --tls-cert")
	}

	renewed := t.TempDir()
	_, nc, nk, _, _ := pemFiles(t, renewed, "spiffe://fleet/a")
	for _, pair := range [][2]string{{nc, sc}, {nk, sk}} {
		data, _ := os.ReadFile(pair[0])
		os.WriteFile(pair[1], data, 0o600)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: reloaded 2 keys")
	if !bytes.Equal(servedCert(), fileCert(nc)) {
		t.Errorf("after SIGHUP the old certificate is still served\n%s", p.stderr.String())
	}
	if want := "SIGHUP: reloaded the TLS certificate " + sc + " (CN server; expires "; !strings.Contains(p.stderr.String(), want) {
		t.Errorf("no %q in\n%s", want, p.stderr.String())
	}

	os.WriteFile(sc, []byte("half a certificate"), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: kept the TLS certificate "+sc)
	if !strings.Contains(p.stderr.String(), "--tls-cert "+sc) {
		t.Errorf("the failed reload does not name the file\n%s", p.stderr.String())
	}
	if !bytes.Equal(servedCert(), fileCert(nc)) {
		t.Error("after a SIGHUP with a broken certificate the one in force is no longer served")
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if c := p.wait(t); c != ExitOK {
		t.Errorf("exit %d\n%s", c, p.stderr.String())
	}
}
