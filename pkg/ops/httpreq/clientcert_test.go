package httpreq

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestServerAskingForAClientCertificateSaysSo: a server that requires a
// client certificate (mutual TLS) fails the step saying that it asks for
// one and that http.request presents none, under TLS 1.3 with HTTP/2 and
// under TLS 1.2, its certificate verified or not, every time. Before,
// the hint came from the server's alert alone: under TLS 1.3 the request
// written after the handshake often failed first ("broken pipe",
// "connection reset by peer", "http2: client conn could not be
// established"), and Go's server under TLS 1.2 says "handshake failure",
// which got no hint.
func TestServerAskingForAClientCertificateSaysSo(t *testing.T) {
	r := newRegistry(t)
	want := "the server asks for a client certificate (mutual TLS), and none is presented: http.request presents none"
	for _, v := range []struct {
		name string
		max  uint16
	}{{"TLS 1.3", tls.VersionTLS13}, {"TLS 1.2", tls.VersionTLS12}} {
		url := opstest.MutualTLSServer(t, &serverCert, v.max)
		for _, insecure := range []bool{false, true} {
			_, err := opstest.Execute(r, context.Background(), "http.request",
				map[string]any{"url": url, "insecure_skip_verify": insecure})
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s, insecure_skip_verify %v: want %q in %v", v.name, insecure, want, err)
			}
		}
	}
}

// TestRedirectFromAServerAskingForACertificateIsNotBlamedOnIt: a server
// that asks for a client certificate without requiring one redirects to
// a port nobody listens on; the refusal is not said to be the asking of
// the first server.
func TestRedirectFromAServerAskingForACertificateIsNotBlamedOnIt(t *testing.T) {
	to := "https://" + closedAddr(t) + "/"
	s := httptest.NewUnstartedServer(http.RedirectHandler(to, http.StatusFound))
	s.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, Certificates: []tls.Certificate{serverCert}}
	s.StartTLS()
	defer s.Close()
	_, err := opstest.Execute(newRegistry(t), context.Background(), "http.request", map[string]any{"url": s.URL})
	if err == nil || !strings.Contains(err.Error(), "refused") || strings.Contains(err.Error(), "client certificate") {
		t.Errorf("got %v", err)
	}
}
