package httpreq

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestServerAskingForAClientCertificateSaysSo: a server that requires a
// client certificate (mutual TLS) fails the step
// saying that it asks for one and that http.request presents none; it
// gave the TLS alert alone ("remote error: tls: certificate required").
func TestServerAskingForAClientCertificateSaysSo(t *testing.T) {
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	s.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	defer s.Close()
	_, err := opstest.Execute(newRegistry(t), context.Background(), "http.request",
		map[string]any{"url": s.URL, "insecure_skip_verify": true})
	want := "the server asks for a client certificate (mutual TLS), and none is presented: http.request presents none"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want %q in %v", want, err)
	}
}
