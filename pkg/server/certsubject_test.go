package server

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
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

// TestUnknownCertificateIsNamed: a certificate the CA vouches for but no
// certs: entry maps gets a 401 naming its CN, SAN URIs and SAN DNS names,
// each by its field, a warning in serve's log (once a minute per
// certificate, however often it calls) and its own reason in the metric.
func TestUnknownCertificateIsNamed(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "fleet CA")
	srvCert, srvKey := ca.issue(t, "server", "", true)
	cfg, err := TLSConfig(writeFile(t, dir, "srv.pem", srvCert), writeFile(t, dir, "srv.key", srvKey), writeFile(t, dir, "ca.pem", ca.pem))
	if err != nil {
		t.Fatal(err)
	}
	var now atomic.Int64
	now.Store(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).Unix())
	logged := &lockedBuffer{}
	ts := newTestServer(t, func(c *Config) {
		c.TLS, c.Log = cfg, logged
		c.Now = func() time.Time { return time.Unix(now.Load(), 0) }
	})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.pem)
	use := func(certPEM, keyPEM []byte) {
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}}
		t.Cleanup(tr.CloseIdleConnections)
		ts.client = &http.Client{Transport: tr, Timeout: 20 * time.Second}
	}
	lines := func(substr string) int { return strings.Count(logged.String(), substr) }

	use(ca.issue(t, "stranger", "spiffe://fleet/stranger", false))
	names := `CN "stranger", SAN URI "spiffe://fleet/stranger"`
	for range 3 {
		msg, _ := ts.get("", "/api/v1/operations").wantError(t, 401, ClassAuthentication)["message"].(string)
		if !strings.Contains(msg, "client certificate ("+names+") is in no certs: entry") {
			t.Errorf("the 401 does not name the certificate: %s", msg)
		}
	}
	if n := lines("a client certificate from 127.0.0.1 (" + names + ") is in no certs: entry of the keys file"); n != 1 {
		t.Errorf("%d warnings for 3 requests with the certificate, want 1:\n%s", n, logged.String())
	}
	now.Add(61)
	ts.get("", "/api/v1/operations").wantError(t, 401, ClassAuthentication)
	if n := lines(names); n != 2 {
		t.Errorf("%d warnings a minute later, want 2:\n%s", n, logged.String())
	}

	// A SPIFFE id of certs: written in the CN: the warning says why it
	// does not match.
	use(ca.issue(t, "spiffe://fleet/arsenal-node-2", "", false))
	ts.get("", "/api/v1/operations").wantError(t, 401, ClassAuthentication)
	if lines(`certs: has "spiffe://fleet/arsenal-node-2", which as a URI matches a SAN URI only`) != 1 {
		t.Errorf("no hint for a SPIFFE id in the CN:\n%s", logged.String())
	}

	m := ts.get("viewer", "/metrics").want(t, 200)
	if !strings.Contains(string(m.body), `arsenal_auth_failures_total{reason="unknown_certificate"} 5`) || strings.Contains(string(m.body), `reason="missing"`) {
		t.Errorf("metrics:\n%s", grepLines(string(m.body), "arsenal_auth_failures_total"))
	}
}

func grepLines(s, substr string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
