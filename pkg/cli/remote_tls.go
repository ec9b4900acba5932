package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// This file is the TLS side of the remote client: its HTTP client, and
// what it tells when a server refuses its client certificate.

// client is the HTTP client: TLS 1.2+, the given CA and client
// certificate, and no redirects, so that the key never goes elsewhere.
func (r *remote) client() (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if r.o.ca != "" {
		pem, err := os.ReadFile(r.o.ca)
		if err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca %s: no PEM certificate in it", r.o.ca)
		}
		tc.RootCAs = pool
	}
	if (r.o.cert == "") != (r.o.key == "") {
		return nil, errors.New("--cert and --key go together")
	}
	var pair *tls.Certificate
	if r.o.cert != "" {
		p, err := tls.LoadX509KeyPair(r.o.cert, r.o.key)
		if err != nil {
			return nil, fmt.Errorf("--cert/--key: %w", err)
		}
		pair = &p
		if r.leaf = p.Leaf; r.leaf == nil {
			r.leaf, _ = x509.ParseCertificate(p.Certificate[0])
		}
	}
	// As Go chooses by itself, the certificate goes only when it fits
	// what the server asks for (one of its CAs); what happened is noted
	// for the hints of certHint.
	tc.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		var unfit error
		if pair != nil {
			unfit = cri.SupportsCertificate(pair)
		}
		r.certs.note(unfit)
		if pair == nil || unfit != nil {
			return &tls.Certificate{}, nil
		}
		return pair, nil
	}
	// Every step of a request is bounded, so that a server that stopped
	// (SIGSTOP, a hung host) does not hold the command for ever: the
	// connection, the handshake, and the answer's headers, which an
	// execute sends only once its operation ended (so its timeout adds
	// to the bound). An event stream's headers come at once; its body is
	// bounded by streamIdle.
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			TLSClientConfig: tc, Proxy: r.proxyFunc(), DialContext: dialer.DialContext,
			TLSHandshakeTimeout: tlsHandshakeTimeout, ResponseHeaderTimeout: answerTimeout + r.opWait,
			IdleConnTimeout: 90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// Bounds of a request: the connection, the TLS handshake, and the time
// the server takes to answer, beyond the wait of an execute (opWait). The
// server answers within its write timeout (60 s by default).
var (
	dialTimeout         = 30 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
	answerTimeout       = 90 * time.Second
)

// opWait is how long the server may take for an execute with the
// timeout flag (or none: the server's default).
func opWait(flag string) time.Duration {
	d, err := time.ParseDuration(flag)
	if err != nil || d <= 0 || d > server.MaxExecTimeout {
		// None, or one the server refuses at once.
		return server.DefaultExecTimeout
	}
	return d
}

// certState is what the TLS handshakes told of the client certificate.
type certState struct {
	mu    sync.Mutex
	asked bool  // a server asked for a client certificate
	unfit error // why --cert did not fit what it asked; nil: sent
}

func (c *certState) note(unfit error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked, c.unfit = true, unfit
}

func (c *certState) get() (asked bool, unfit error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.asked, c.unfit
}

// certHint says what is wrong with the client certificate when err, a 401
// or a failed handshake, comes from it; it tells whether it said
// anything. With --cert given and no key, the key's variable is not the
// hint: the certificate was meant to do.
func (r *remote) certHint(err error) bool {
	asked, unfit := r.certs.get()
	var ae *apiError
	refused := errors.As(err, &ae) && ae.status == http.StatusUnauthorized
	var op *net.OpError
	alert := errors.As(err, &op) && op.Op == "remote error" // a TLS alert of the server
	switch {
	case !refused && !alert:
		return false
	case r.o.cert == "":
		if !asked || !alert {
			return false
		}
		r.e.errorf("the server asks for a client certificate: give --cert and --key (a certificate of the CA of its --client-ca)")
	case refused && r.key != "":
		return false // the key decided, and the server said why
	case asked && unfit != nil:
		r.e.errorf("--cert %s is not signed by a CA the server accepts for client certificates (that of its --client-ca), so it was not sent (%v): use a certificate of that CA", r.o.cert, unfit)
	case !asked:
		if !refused {
			return false
		}
		r.e.errorf("the server does not ask for client certificates (serve without --client-ca), so --cert was not sent: set $%s to an API key", r.o.keyEnv)
	case alert:
		r.e.errorf("the server refused the client certificate --cert %s (%v): it must be signed by the CA of the server's --client-ca, and valid now", r.o.cert, op.Err)
	default:
		r.e.errorf("the server verified the client certificate --cert %s, but none of its subjects (%s) is in certs: of the server's keys file: add one there, with the roles it should have", r.o.cert, strings.Join(certSubjects(r.leaf), ", "))
	}
	return true
}

// certSubjects are the names a server maps a certificate by, as serve
// does: its common name, SAN URIs and SAN DNS names.
func certSubjects(c *x509.Certificate) []string {
	if c == nil {
		return nil
	}
	var out []string
	if c.Subject.CommonName != "" {
		out = append(out, c.Subject.CommonName)
	}
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	return append(out, c.DNSNames...)
}

// loopbackHost tells whether a URL's host is this machine: localhost, a
// loopback address, or an unspecified one (0.0.0.0 and [::] reach it).
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}
