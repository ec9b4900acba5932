package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
)

// TestTLSReload: Reload takes in a renewed certificate and a new client
// CA for the connections that follow, all or nothing: a certificate that
// does not load, or whose key is not its own, keeps the files read
// before, and the error names them.
func TestTLSReload(t *testing.T) {
	dir := t.TempDir()
	ca1, ca2 := newCA(t, "fleet CA 1"), newCA(t, "fleet CA 2")
	certA, keyA := ca1.issue(t, "server", "", true)
	certB, keyB := ca2.issue(t, "server", "", true)
	certFile, keyFile := writeFile(t, dir, "srv.pem", certA), writeFile(t, dir, "srv.key", keyA)
	caFile := writeFile(t, dir, "ca.pem", ca1.pem)
	files, err := LoadTLS(certFile, keyFile, caFile)
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, func(c *Config) { c.TLS = files.Config() })
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca1.pem)
	roots.AppendCertsFromPEM(ca2.pem)
	client1, client1Key := ca1.issue(t, "node-2", "spiffe://fleet/arsenal-node-2", false)
	client2, client2Key := ca2.issue(t, "node-2", "spiffe://fleet/arsenal-node-2", false)
	// served answers a request on a new connection with the client
	// certificate certPEM: the server's certificate, or the error.
	served := func(certPEM, keyPEM []byte) ([]byte, error) {
		t.Helper()
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}, DisableKeepAlives: true}
		defer tr.CloseIdleConnections()
		res, err := (&http.Client{Transport: tr, Timeout: 20 * time.Second}).Get(ts.url + "/api/v1/operations")
		if err != nil {
			return nil, err
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
		return res.TLS.PeerCertificates[0].Raw, nil
	}
	der := func(certPEM []byte) []byte {
		pair, _ := tls.X509KeyPair(certPEM, keyA)
		if pair.Certificate == nil {
			pair, _ = tls.X509KeyPair(certPEM, keyB)
		}
		return pair.Certificate[0]
	}
	if got, err := served(client1, client1Key); err != nil || !bytes.Equal(got, der(certA)) {
		t.Fatalf("before a reload: %v, or another certificate", err)
	}

	// Broken files: each reload fails, naming the file, and the
	// certificate and CA read first stay in force.
	for name, write := range map[string]func(){
		"junk certificate":    func() { writeFile(t, dir, "srv.pem", []byte("junk")) },
		"another certificate": func() { writeFile(t, dir, "srv.pem", certB) }, // with key A
		"junk client CA": func() {
			writeFile(t, dir, "srv.pem", certB)
			writeFile(t, dir, "srv.key", keyB)
			writeFile(t, dir, "ca.pem", []byte("junk"))
		},
	} {
		write()
		err := files.Reload()
		if err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s: Reload: %v, want an error naming the file", name, err)
		}
		if got, err := served(client1, client1Key); err != nil || !bytes.Equal(got, der(certA)) {
			t.Errorf("%s: after the failed reload: %v, or another certificate", name, err)
		}
		writeFile(t, dir, "srv.pem", certA)
		writeFile(t, dir, "srv.key", keyA)
		writeFile(t, dir, "ca.pem", ca1.pem)
	}

	// Renewed: the new certificate is served, and the new CA decides
	// which clients are let in.
	writeFile(t, dir, "srv.pem", certB)
	writeFile(t, dir, "srv.key", keyB)
	writeFile(t, dir, "ca.pem", ca2.pem)
	if err := files.Reload(); err != nil {
		t.Fatal(err)
	}
	if got, err := served(client2, client2Key); err != nil || !bytes.Equal(got, der(certB)) {
		t.Errorf("after the reload: %v, or the old certificate", err)
	}
	if _, err := served(client1, client1Key); err == nil {
		t.Error("a client certificate of the CA no longer trusted was taken")
	}
	if d := files.Describe(time.Now()); !strings.Contains(d, certFile) || !strings.Contains(d, "CN server") || !strings.Contains(d, caFile) {
		t.Errorf("Describe: %s", d)
	}
}

// TestTLSReloadProtectsTheFilesItReads: the key, certificate and client
// CA are protected paths, and so are the files a renewal points their
// symlinks at, from the reload that reads them.
func TestTLSReloadProtectsTheFilesItReads(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "fleet CA")
	cert1, key1 := ca.issue(t, "server", "", true)
	cert2, key2 := ca.issue(t, "server", "", true)
	link := func(target, name string) string {
		p := filepath.Join(dir, name)
		os.Remove(p)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certFile := link(writeFile(t, dir, "cert1.pem", cert1), "cert.pem")
	keyFile := link(writeFile(t, dir, "key1.pem", key1), "key.pem")
	files, err := LoadTLS(certFile, keyFile, writeFile(t, dir, "ca.pem", ca.pem))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"cert.pem", "key.pem", "cert1.pem", "key1.pem", "ca.pem"} {
		if fsroot.Guard(filepath.Join(dir, p)) == nil {
			t.Errorf("%s is not protected", p)
		}
	}
	link(writeFile(t, dir, "cert2.pem", cert2), "cert.pem")
	link(writeFile(t, dir, "key2.pem", key2), "key.pem")
	if err := files.Reload(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"cert2.pem", "key2.pem"} {
		if fsroot.Guard(filepath.Join(dir, p)) == nil {
			t.Errorf("after the reload, %s is not protected", p)
		}
	}
}

// TestTLSKeyOfAnotherCertificate: a key that is not the certificate's
// (a renewal that replaced one file and not the other) is said so, with
// both files and what to do, not only as crypto/tls's words.
func TestTLSKeyOfAnotherCertificate(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "ca")
	certA, _ := ca.issue(t, "server", "", true)
	_, keyB := ca.issue(t, "server", "", true)
	certFile, keyFile := writeFile(t, dir, "srv.pem", certA), writeFile(t, dir, "srv.key", keyB)
	_, err := LoadTLS(certFile, keyFile, "")
	want := "--tls-key " + keyFile + " is not the key of the certificate in --tls-cert " + certFile
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "replace both files, then send SIGHUP") {
		t.Errorf("LoadTLS: %v, want %q and what to do", err, want)
	}
	// A file that holds no key is not called another certificate's key.
	writeFile(t, dir, "srv.key", certA)
	if _, err := LoadTLS(certFile, keyFile, ""); err == nil || strings.Contains(err.Error(), "is not the key of") {
		t.Errorf("a certificate as the key: %v", err)
	}
}
