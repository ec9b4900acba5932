package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
)

// tlsHint says what to do about an https node whose TLS failed, fitted to
// why, as http.request does: a port that speaks no TLS is a matter of
// the URL's scheme or port, a certificate of a private CA is trusted
// through SSL_CERT_FILE, and one for other names is fixed by the URL.
// The probes accept no certificate they cannot verify. "" for any other
// error.
func tlsHint(err error) string {
	var host x509.HostnameError
	var ca x509.UnknownAuthorityError
	var record tls.RecordHeaderError
	switch {
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "; the node answers plain HTTP on that port: write its URL with http://"
	case errors.As(err, &record):
		return "; the node does not speak TLS on that port: check the port, or write its URL with http:// if it serves plain HTTP"
	case errors.As(err, &host):
		return "; the certificate names other hosts: use one of them in the node's URL"
	case errors.As(err, &ca):
		return "; if it comes from your own CA, point SSL_CERT_FILE at that CA's PEM file (or add the CA to the system's store) in the environment of arsenal-run"
	}
	return ""
}
