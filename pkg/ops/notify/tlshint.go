package notify

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
)

// certHint says what to do about a server certificate that did not
// verify, fitted to why, as http.request does: a private CA is trusted
// through SSL_CERT_FILE, and a certificate for other names is fixed by
// naming one of them in where (the param that names the server).
// insecure_skip_verify is offered only when the operation takes it (skip):
// notify.webhook does not, and a hint naming it would lead to an unknown
// param.
func certHint(err error, where string, skip bool) string {
	var host x509.HostnameError
	var ca x509.UnknownAuthorityError
	switch {
	case errors.As(err, &host):
		return "; the certificate names other hosts: use one of them in " + where
	case errors.As(err, &ca):
		h := "; if it comes from your own CA, point SSL_CERT_FILE at that CA's PEM file (or add the CA to the system's store)"
		if skip {
			h += "; insecure_skip_verify: true accepts any certificate, for tests only"
		}
		return h
	case strings.Contains(err.Error(), "x509:"):
		if skip {
			return "; if the server uses such a certificate on purpose, set insecure_skip_verify: true (for tests only)"
		}
		return "; the endpoint's certificate must be renewed or replaced by one that verifies"
	}
	return ""
}

// emailTLSHint says what to do when the exchange failed for TLS: a
// certificate that did not verify, or a port that does not speak TLS
// from its first byte under tls: implicit.
func emailTLSHint(err error, mode string) string {
	if h := certHint(err, "host", true); h != "" {
		return h
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok && mode == "implicit" {
		return "; the server does not speak TLS from the first byte on this port: use tls: starttls (usually port 587)"
	}
	return ""
}
