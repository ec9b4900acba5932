package httpreq

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/tlshint"
)

// TestTLSHintFitsTheFailure: a certificate from a CA this machine does not
// trust points to SSL_CERT_FILE before insecure_skip_verify, and one that
// does not name the URL's host says so, rather than suggesting that every
// certificate be accepted.
func TestTLSHintFitsTheFailure(t *testing.T) {
	s := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secure") }))
	defer s.Close()
	_, err := opstest.Execute(newRegistry(t), context.Background(), "http.request", map[string]any{"url": s.URL})
	if err == nil || !strings.Contains(err.Error(), "SSL_CERT_FILE") || !strings.Contains(err.Error(), "insecure_skip_verify") {
		t.Errorf("unknown authority: %v", err)
	}

	wrongHost := fmt.Errorf("tls: failed to verify certificate: %w", x509.HostnameError{Certificate: s.Certificate(), Host: "db.internal"})
	hint := tlshint.Hint(wrongHost, tlsWords)
	if !strings.Contains(hint, "names") || strings.Contains(hint, "insecure_skip_verify") || strings.Contains(hint, "SSL_CERT_FILE") {
		t.Errorf("wrong host: hint %q", hint)
	}
	if h := tlshint.Hint(errors.New("connection refused"), tlsWords); h != "" {
		t.Errorf("no TLS failure: hint %q", h)
	}
}

// TestNoTLSAtThePortSaysSo: an https:// URL at a port serving plain HTTP,
// or something else than TLS, says to write http:// or check the port; it
// gave net/http's words alone.
func TestNoTLSAtThePortSaysSo(t *testing.T) {
	plain := server(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "plain") })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer func() { l.Close(); <-done }()
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n")
			c.Close()
		}
	}()
	r := newRegistry(t)
	for url, want := range map[string]string{
		strings.Replace(plain.URL, "http://", "https://", 1): "plain HTTP on that port: write the URL with http://",
		"https://" + l.Addr().String() + "/":                 "does not speak TLS on that port: check the port",
	} {
		_, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": url})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want %q in %v", url, want, err)
		}
	}
}
