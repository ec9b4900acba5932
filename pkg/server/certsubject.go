package server

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// uriSubjectRE is a certs: subject that starts with a URI scheme and its
// colon (spiffe://…, urn:…): such a subject names a SAN URI only.
var uriSubjectRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// isURISubject says whether a certs: subject is a URI, which only a SAN
// URI of the certificate matches. A SPIFFE id lives in the SAN URI alone:
// were it matched against the common name too, any client a CA let pick
// its CN could take that identity.
func isURISubject(subject string) bool { return uriSubjectRE.MatchString(subject) }

// matches says whether the verified certificate c is the one rule names:
// a URI subject by one of c's SAN URIs; any other subject by one of c's
// SAN DNS names or by its common name.
func (rule *certRule) matches(c *x509.Certificate) bool {
	if isURISubject(rule.subject) {
		return slices.ContainsFunc(c.URIs, func(u *url.URL) bool { return u.String() == rule.subject })
	}
	return c.Subject.CommonName == rule.subject || slices.Contains(c.DNSNames, rule.subject)
}

// forCert finds the rule a verified client certificate maps to.
func (k *Keys) forCert(c *x509.Certificate) *certRule {
	for i := range k.certs {
		if k.certs[i].matches(c) {
			return &k.certs[i]
		}
	}
	return nil
}

// bySubject finds the rule of a subject, the name a certificate caller
// goes by.
func (k *Keys) bySubject(subject string) *certRule {
	for i := range k.certs {
		if k.certs[i].subject == subject {
			return &k.certs[i]
		}
	}
	return nil
}

// maxCertNames bounds the names of a certificate that a message lists.
const maxCertNames = 8

// certLogEvery is how often a certificate in no entry of certs: is
// logged, at most: a client that keeps calling with it fills no log.
const certLogEvery = time.Minute

// unknownCert answers a request whose client certificate the CA vouches
// for but no entry of certs: maps: 401 naming what the certificate could
// be mapped by, and a warning for whoever runs serve. It counts no failure
// towards the address's 429: nothing was guessed.
func (s *Server) unknownCert(r *http.Request, c *x509.Certificate, keys *Keys) *apiError {
	names := certNames(c)
	if s.certLog.fail(names) == 0 {
		line := fmt.Sprintf("a client certificate from %s (%s) is in no certs: entry of the keys file %s; its request is refused", clientAddr(r), names, keys.File)
		if near := keys.uriSubjectOnName(c); near != "" {
			line += fmt.Sprintf("; certs: has %q, which as a URI matches a SAN URI only, not a CN or DNS name", near)
		}
		s.log.Print(line + " (logged at most once a minute for each certificate)")
	}
	// "no credentials" first, as for a request with none: the console
	// takes such an answer at a page's load for a visit not signed in.
	return s.refused("unknown_certificate", "no credentials: the client certificate (%s) is in no certs: entry of the keys file; "+
		"ask for one of its names to be added there with roles (serve rereads the file on SIGHUP), or send Authorization: Bearer KEY", names)
}

// uriSubjectOnName returns a URI subject of certs: that c carries as its
// CN or a DNS name rather than as a SAN URI, or "".
func (k *Keys) uriSubjectOnName(c *x509.Certificate) string {
	for i := range k.certs {
		s := k.certs[i].subject
		if isURISubject(s) && (c.Subject.CommonName == s || slices.Contains(c.DNSNames, s)) {
			return s
		}
	}
	return ""
}

// certNames lists what a certificate could be mapped by, each labelled
// with its field, for whoever has to add it to certs:.
func certNames(c *x509.Certificate) string {
	var out []string
	if c.Subject.CommonName != "" {
		out = append(out, "CN "+quoteName(c.Subject.CommonName))
	}
	for _, u := range c.URIs {
		out = append(out, "SAN URI "+quoteName(u.String()))
	}
	for _, d := range c.DNSNames {
		out = append(out, "SAN DNS "+quoteName(d))
	}
	switch {
	case len(out) == 0:
		return "no CN, SAN URI or SAN DNS name"
	case len(out) > maxCertNames:
		return fmt.Sprintf("%s and %d more", strings.Join(out[:maxCertNames], ", "), len(out)-maxCertNames)
	}
	return strings.Join(out, ", ")
}

// quoteName quotes a name of a certificate, cut short: its CA chose it,
// and it goes into a log line and an answer.
func quoteName(s string) string { return strconv.Quote(yamlx.Truncate(s, 200)) }
