package server

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestCertSubjectMatchesItsField: a certs: subject written as a URI
// matches a SAN URI only, never the common name, which a CA may let
// requesters pick; any other subject matches a SAN DNS name or the CN.
func TestCertSubjectMatchesItsField(t *testing.T) {
	keys, err := ParseKeys("keys.yaml", []byte(`version: 1
certs:
  - {subject: "spiffe://fleet/arsenal-node-2", roles: [operator]}
  - {subject: "urn:example:node-3", roles: [operator]}
  - {subject: "runner-4.internal", roles: [viewer]}
  - {subject: "fleet node 5", roles: [viewer]}
`))
	if err != nil {
		t.Fatal(err)
	}
	uri := func(s string) []*url.URL { u, _ := url.Parse(s); return []*url.URL{u} }
	for _, c := range []struct {
		name string
		cert x509.Certificate
		want string // the subject it maps to; "": none
	}{
		{"SPIFFE id as SAN URI", x509.Certificate{Subject: pkix.Name{CommonName: "node-2"}, URIs: uri("spiffe://fleet/arsenal-node-2")}, "spiffe://fleet/arsenal-node-2"},
		{"SPIFFE id as CN", x509.Certificate{Subject: pkix.Name{CommonName: "spiffe://fleet/arsenal-node-2"}}, ""},
		{"SPIFFE id as SAN DNS", x509.Certificate{DNSNames: []string{"spiffe://fleet/arsenal-node-2"}}, ""},
		{"URN as CN", x509.Certificate{Subject: pkix.Name{CommonName: "urn:example:node-3"}}, ""},
		{"URN as SAN URI", x509.Certificate{URIs: uri("urn:example:node-3")}, "urn:example:node-3"},
		{"DNS name as SAN DNS", x509.Certificate{Subject: pkix.Name{CommonName: "x"}, DNSNames: []string{"a.internal", "runner-4.internal"}}, "runner-4.internal"},
		{"DNS name as CN", x509.Certificate{Subject: pkix.Name{CommonName: "runner-4.internal"}}, "runner-4.internal"},
		{"CN", x509.Certificate{Subject: pkix.Name{CommonName: "fleet node 5"}}, "fleet node 5"},
		{"nothing", x509.Certificate{Subject: pkix.Name{CommonName: "stranger"}, URIs: uri("spiffe://fleet/stranger")}, ""},
	} {
		got := ""
		if r := keys.forCert(&c.cert); r != nil {
			got = r.subject
		}
		if got != c.want {
			t.Errorf("%s: maps to %q, want %q", c.name, got, c.want)
		}
	}
}

// TestMutualTLSSPIFFEIdInCNIsRefused: over mutual TLS, a certificate of
// the trusted CA whose CN spells a SPIFFE id of the keys file, with no SAN
// URI, is not that caller.
func TestMutualTLSSPIFFEIdInCNIsRefused(t *testing.T) {
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
	forged, forgedKey := ca.issue(t, "spiffe://fleet/arsenal-node-2", "", false)
	pair, err := tls.X509KeyPair(forged, forgedKey)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}}
	t.Cleanup(tr.CloseIdleConnections)
	ts.client = &http.Client{Transport: tr, Timeout: 20 * time.Second}
	ts.get("", "/api/v1/operations").wantError(t, 401, ClassAuthentication)
}
