// Package tlshint says what to do about a TLS failure of an operation's
// request, fitted to why, in the words of the operation: a certificate of
// a private CA is trusted through SSL_CERT_FILE, one for other names is
// fixed where the name is written, not by accepting any; an expired one is
// renewed where it is served, and one not valid yet points to the clocks; a
// peer that asks for a client certificate, which no operation presents,
// is told so;
// an https:// URL at a port that speaks no TLS is told to check the scheme
// or the port.
package tlshint

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"time"
)

// Words are how an operation's hints name what they are about.
type Words struct {
	// Peer is the far side: "the server", "the node".
	Peer string
	// Where is what names the host, for a certificate of other names:
	// "the URL", "host".
	Where string
	// Scheme is what a scheme is written in, "the URL", for a port that
	// speaks no TLS; "" leaves those failures without a hint.
	Scheme string
	// SkipVerify says the operation takes insecure_skip_verify, which is
	// offered, for tests only; an operation without it must not name it.
	SkipVerify bool
	// ClientCert is what to do when the peer asks for a client
	// certificate (mutual TLS), which the operation does not present:
	// "use a URL that does not ask for one".
	ClientCert string
	// Other is the hint of any other certificate failure when SkipVerify
	// is off; "" for none.
	Other string
}

// Hint returns the hint for err, beginning "; ", or "" when err is no TLS
// failure it has advice for. It reads the peer's asking for a client
// certificate from the alert alone; Record.Hint knows it from the
// handshake.
func Hint(err error, w Words) string {
	return hint(err, w, false)
}

// hint is Hint; asked says the handshake met a peer asking for a client
// certificate, which none was presented for.
func hint(err error, w Words, asked bool) string {
	var host x509.HostnameError
	var ca x509.UnknownAuthorityError
	var record tls.RecordHeaderError
	var invalid x509.CertificateInvalidError
	switch {
	case w.Scheme != "" && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "; " + w.Peer + " answers plain HTTP on that port: write " + w.Scheme + " with http://"
	case w.Scheme != "" && errors.As(err, &record):
		return "; " + w.Peer + " does not speak TLS on that port: check the port, or write " + w.Scheme + " with http:// if it serves plain HTTP"
	case errors.As(err, &host):
		return "; the certificate names other hosts: use one of them in " + w.Where
	case asked || asksClientCert(err):
		h := "; " + w.Peer + " asks for a client certificate (mutual TLS), and none is presented"
		if w.ClientCert != "" {
			h += ": " + w.ClientCert
		}
		return h
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return dates(invalid.Cert, w)
	case errors.As(err, &ca):
		h := "; if it comes from your own CA, point SSL_CERT_FILE at that CA's PEM file (or add the CA to the system's store)"
		if w.SkipVerify {
			h += "; insecure_skip_verify: true accepts any certificate, for tests only"
		}
		return h
	case strings.Contains(err.Error(), "x509:"):
		if w.SkipVerify {
			return "; if the server uses such a certificate on purpose, set insecure_skip_verify: true (for tests only)"
		}
		return w.Other
	}
	return ""
}

// dates is the hint of a certificate outside its dates: one not valid yet
// is most often a clock that is wrong, here or where it was made; an
// expired one is renewed where it is served.
func dates(c *x509.Certificate, w Words) string {
	if c != nil && time.Now().Before(c.NotBefore) {
		return "; the certificate of " + w.Peer + " is not valid yet: check this machine's clock (and that of the machine that made the certificate)"
	}
	h := "; the certificate of " + w.Peer + " has expired: renew it on " + w.Peer
	if w.SkipVerify {
		h += " (insecure_skip_verify: true accepts it, for tests only)"
	}
	return h
}

// asksClientCert tells whether the peer refused the handshake for the
// want of a client certificate: TLS 1.3 says "certificate required", and
// some TLS 1.2 servers "bad certificate", which, as none is sent, is the
// same. Others say "handshake failure" under TLS 1.2, which has other
// causes too, so gets no hint from its text alone (Record.Hint knows).
func asksClientCert(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "remote error: tls: certificate required") ||
		strings.Contains(msg, "remote error: tls: bad certificate")
}
