package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue makes a leaf certificate: a server one for 127.0.0.1, or a client
// one with the given CN and SAN URI.
func (ca *testCA) issue(t *testing.T, cn, uri string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	return ca.issueUntil(t, cn, uri, server, time.Now().Add(time.Hour))
}

// issueUntil is issue, for a certificate that ends at end.
func (ca *testCA) issueUntil(t *testing.T, cn, uri string, server bool, end time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: end,
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		if uri != "" {
			u, _ := url.Parse(uri)
			tmpl.URIs = []*url.URL{u}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "fleet CA")
	srvCert, srvKey := ca.issue(t, "server", "", true)
	cfg, err := TLSConfig(writeFile(t, dir, "srv.pem", srvCert), writeFile(t, dir, "srv.key", srvKey), writeFile(t, dir, "ca.pem", ca.pem))
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, func(c *Config) { c.TLS = cfg })
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.pem)
	client := func(certPEM, keyPEM []byte, maxVersion uint16) *http.Client {
		tc := &tls.Config{RootCAs: roots, MaxVersion: maxVersion}
		if certPEM != nil {
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			tc.Certificates = []tls.Certificate{pair}
		}
		tr := &http.Transport{TLSClientConfig: tc}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr, Timeout: 20 * time.Second}
	}

	// A certificate from the CA whose subject the keys file maps: the
	// caller has that entry's roles, and is named by it in the audit log.
	good, goodKey := ca.issue(t, "node-2", "spiffe://fleet/arsenal-node-2", false)
	ts.client = client(good, goodKey, 0)
	ts.get("", "/api/v1/operations").want(t, 200)
	ts.post("", "/api/v1/operations/control.log/execute", map[string]any{"params": map[string]any{"message": "from node 2"}}).want(t, 200)
	ts.post("", "/api/v1/operations/process.kill/execute", map[string]any{"params": map[string]any{"pid": unusedPID(t)}}).wantError(t, 403, ClassAuthorization)
	data, _ := os.ReadFile(ts.audit)
	if !strings.Contains(string(data), `"who":"spiffe://fleet/arsenal-node-2"`) {
		t.Errorf("the audit log does not name the certificate's subject:\n%s", data)
	}
	// A key still works beside the certificate.
	ts.get("admin", "/api/v1/operations").want(t, 200)

	// A certificate from the CA that the keys file does not map: 401.
	stranger, strangerKey := ca.issue(t, "stranger", "spiffe://fleet/stranger", false)
	ts.client = client(stranger, strangerKey, 0)
	ts.get("", "/api/v1/operations").wantError(t, 401, ClassAuthentication)

	// An unknown CA, no certificate, or TLS 1.1: the handshake fails.
	other := newCA(t, "other CA")
	forged, forgedKey := other.issue(t, "node-2", "spiffe://fleet/arsenal-node-2", false)
	for name, c := range map[string]*http.Client{
		"unknown CA":     client(forged, forgedKey, 0),
		"no certificate": client(nil, nil, 0),
		"TLS 1.1":        client(good, goodKey, tls.VersionTLS11),
	} {
		res, err := c.Get(ts.url + "/healthz")
		if err == nil {
			res.Body.Close()
			t.Errorf("%s: got %d, want a failed handshake", name, res.StatusCode)
		}
	}
}

func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := TLSConfig("", "", ""); err == nil {
		t.Error("no certificate accepted")
	}
	if _, err := TLSConfig(filepath.Join(dir, "no.pem"), filepath.Join(dir, "no.key"), ""); err == nil {
		t.Error("missing files accepted")
	}
	ca := newCA(t, "ca")
	c, k := ca.issue(t, "s", "", true)
	if _, err := TLSConfig(writeFile(t, dir, "c.pem", c), writeFile(t, dir, "k.pem", k), writeFile(t, dir, "junk.pem", []byte("junk"))); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("a junk CA file: %v", err)
	}
}

// TestClientCAAnyoneMayWriteRefused: a client CA file every user of the
// host may write is refused, at start and at a reload, as the keys file
// is: a CA added to it would sign certificates for any subject the keys
// file maps to roles. A reload keeps the CA read before.
func TestClientCAAnyoneMayWriteRefused(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "ca")
	c, k := ca.issue(t, "s", "", true)
	cert, key, caFile := writeFile(t, dir, "c.pem", c), writeFile(t, dir, "k.pem", k), writeFile(t, dir, "ca.pem", ca.pem)
	if err := os.Chmod(caFile, 0o666); err != nil {
		t.Fatal(err)
	}
	_, err := LoadTLS(cert, key, caFile)
	if err == nil || !strings.Contains(err.Error(), "--client-ca "+caFile+": the client CA's mode 0666 lets every user of this host write it") || !strings.Contains(err.Error(), "chmod go-w "+caFile) {
		t.Fatalf("a world-writable client CA at start: %v", err)
	}
	if err := os.Chmod(caFile, 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := LoadTLS(cert, key, caFile)
	if err != nil {
		t.Fatal(err)
	}
	before := files.cur.Load()
	if err := os.Chmod(caFile, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := files.Reload(); err == nil || !strings.Contains(err.Error(), "lets every user of this host write it") {
		t.Errorf("a world-writable client CA at reload: %v", err)
	}
	if files.cur.Load() != before {
		t.Error("a refused reload replaced the settings in force")
	}
}

// TestTLSWarningSaysWhatClientsMakeOfTheDates: a certificate past its
// end, not valid yet, or within the notice of its end is warned of, each
// with the file, the date and what to do; one well within its dates is
// not.
func TestTLSWarningSaysWhatClientsMakeOfTheDates(t *testing.T) {
	dir := t.TempDir()
	c, k := newCA(t, "ca").issue(t, "server", "", true)
	certFile, keyFile := writeFile(t, dir, "server.pem", c), writeFile(t, dir, "server.key", k)
	tf, err := LoadTLS(certFile, keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	leaf := tf.cur.Load().leaf
	week := 7 * 24 * time.Hour
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{leaf.NotAfter.Add(time.Second), certFile + " expired at " + leaf.NotAfter.UTC().Format(time.RFC3339) + ", so clients refuse every connection"},
		{leaf.NotBefore.Add(-time.Second), certFile + " is not valid before " + leaf.NotBefore.UTC().Format(time.RFC3339) + ", so clients refuse every connection until then"},
		{leaf.NotAfter.Add(-time.Hour), certFile + " expires at " + leaf.NotAfter.UTC().Format(time.RFC3339) + ", within 7 days"},
	} {
		if got := tf.Warning(c.now, week); !strings.Contains(got, c.want) || !strings.Contains(got, "SIGHUP") && !strings.Contains(got, "clock") {
			t.Errorf("at %s: %q, want %q", c.now, got, c.want)
		}
	}
	if got := tf.Warning(leaf.NotBefore.Add(time.Minute), time.Minute); got != "" {
		t.Errorf("a certificate well within its dates: %q", got)
	}
}

// TestTLSWarningOfAnExpiredClientCA: a client CA that expired makes the
// handshake refuse every client certificate it signed, with nothing in
// serve's log; it is warned of, as the server's own certificate is.
func TestTLSWarningOfAnExpiredClientCA(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "fleet CA")
	c, k := ca.issue(t, "server", "", true)
	caFile := writeFile(t, dir, "ca.pem", ca.pem)
	tf, err := LoadTLS(writeFile(t, dir, "server.pem", c), writeFile(t, dir, "server.key", k), caFile)
	if err != nil {
		t.Fatal(err)
	}
	end := ca.cert.NotAfter.UTC().Format(time.RFC3339)
	got := tf.Warning(ca.cert.NotAfter.Add(time.Second), time.Minute)
	if want := `the client CA "fleet CA" in --client-ca ` + caFile + " expired at " + end + ", so the handshake refuses every client certificate it signed"; !strings.Contains(got, want) {
		t.Errorf("an expired client CA: %q\nwant %q", got, want)
	}
	if got := tf.Warning(ca.cert.NotAfter.Add(-time.Hour), 2*time.Hour); !strings.Contains(got, `the client CA "fleet CA" in --client-ca `+caFile+" expires at "+end) {
		t.Errorf("a client CA about to expire: %q", got)
	}
	if got := tf.Warning(ca.cert.NotBefore.Add(time.Minute), time.Minute); got != "" {
		t.Errorf("a client CA well within its dates: %q", got)
	}
}

// TestTLSWarningLeavesOutARenewedClientCA: a client CA file that holds
// the CA and its renewal (same name and key, a later end), as while
// clients move over, is no cause for a warning when the old one ends:
// the handshake verifies the certificates it signed through the renewal.
// A CA of the same name with another key is no renewal of it.
func TestTLSWarningLeavesOutARenewedClientCA(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "fleet CA")
	renew := func(key *ecdsa.PrivateKey) []byte {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "fleet CA"},
			NotBefore: ca.cert.NotBefore, NotAfter: ca.cert.NotAfter.Add(2 * time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	c, k := ca.issue(t, "server", "", true)
	client, _ := ca.issue(t, "node-2", "", false)
	after := ca.cert.NotAfter.Add(time.Second)

	renewed := append(append([]byte{}, ca.pem...), renew(ca.key)...)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(renewed)
	b, _ := pem.Decode(client)
	leaf, _ := x509.ParseCertificate(b.Bytes)
	leaf.NotAfter = after.Add(time.Hour) // the client's own end is not what is judged here
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: after, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("the handshake would refuse the client through the renewal: %v", err)
	}
	tf, err := LoadTLS(writeFile(t, dir, "server.pem", c), writeFile(t, dir, "server.key", k), writeFile(t, dir, "renewed.pem", renewed))
	if err != nil {
		t.Fatal(err)
	}
	if got := tf.Warning(after, time.Minute); strings.Contains(got, "client CA") {
		t.Errorf("a client CA renewed in the file, ended: %q", got)
	}
	if got := tf.Warning(ca.cert.NotAfter.Add(-30*time.Second), time.Minute); strings.Contains(got, "client CA") {
		t.Errorf("a client CA renewed in the file, about to end: %q", got)
	}

	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caFile := writeFile(t, dir, "rekeyed.pem", append(append([]byte{}, ca.pem...), renew(other)...))
	tf, err = LoadTLS(writeFile(t, dir, "server2.pem", c), writeFile(t, dir, "server2.key", k), caFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := tf.Warning(ca.cert.NotAfter.Add(-30*time.Second), time.Minute); !strings.Contains(got, `the client CA "fleet CA" in --client-ca `+caFile+" expires at") {
		t.Errorf("a client CA whose successor has another key: %q", got)
	}
}
