package server

import (
	"crypto/x509"
	"net/url"
	"regexp"
	"slices"
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
