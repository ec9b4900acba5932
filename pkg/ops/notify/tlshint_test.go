package notify

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/tlshint"
)

// TestEmailTLSFailuresSayWhatToDo: a server certificate no CA vouches
// for, and tls: implicit against a port that speaks plain SMTP first,
// fail saying what to write; as does tls: starttls against a port that
// waits for a TLS handshake. Before, the errors ended at Go's text
// ("certificate signed by unknown authority", "first record does not
// look like a TLS handshake", "greeting: timed out").
func TestEmailTLSFailuresSayWhatToDo(t *testing.T) {
	plain := startSMTP(t, &smtpBackend{user: "ops", pass: "s3cret"}, true, false)
	implicit := startSMTP(t, &smtpBackend{user: "ops", pass: "s3cret"}, true, true)
	for _, tc := range []struct {
		name string
		port int
		mode string
		set  map[string]any
		want string
	}{
		{"untrusted certificate", plain, "starttls", map[string]any{"insecure_skip_verify": false}, "point SSL_CERT_FILE at that CA's PEM file"},
		{"implicit on a plain port", plain, "implicit", nil, "use tls: starttls"},
		{"starttls on a TLS port", implicit, "starttls", map[string]any{"timeout": "300ms"}, "use tls: implicit"},
	} {
		raw := mailParams(tc.port, tc.mode)
		for k, v := range tc.set {
			raw[k] = v
		}
		_, err := execute(t, registry(t), "notify.email", raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want it to say %q", tc.name, err, tc.want)
		}
	}
}

// TestWebhookUntrustedCertificateSaysWhatToDo: an endpoint whose
// certificate no CA vouches for fails saying how to trust its CA, and not
// to set insecure_skip_verify, which notify.webhook does not take (before,
// it said to, and doing so failed the playbook for an unknown param).
func TestWebhookUntrustedCertificateSaysWhatToDo(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	_, err := execute(t, registry(t), "notify.webhook", map[string]any{"url": srv.URL + "/hook/TOKEN", "text": "x"})
	if err == nil || !strings.Contains(err.Error(), "SSL_CERT_FILE") || strings.Contains(err.Error(), "TOKEN") ||
		strings.Contains(err.Error(), "insecure_skip_verify") {
		t.Errorf("got %v", err)
	}
	if spec := WebhookSpec(); spec.Param("insecure_skip_verify") != nil {
		t.Fatal("notify.webhook takes insecure_skip_verify: the hints may name it")
	}
}

// TestCertHintNamesOnlyParamsTheOpTakes: a certificate that fails for
// another reason (expired) is told to be renewed for a webhook, and may be
// accepted with insecure_skip_verify for an email, which takes it.
func TestCertHintNamesOnlyParamsTheOpTakes(t *testing.T) {
	err := fmt.Errorf("tls: %w", x509.CertificateInvalidError{Reason: x509.Expired, Detail: "current time is after 2020"})
	if h := tlshint.Hint(err, webhookTLSWords); strings.Contains(h, "insecure_skip_verify") || !strings.Contains(h, "renew") {
		t.Errorf("webhook hint: %q", h)
	}
	if h := emailTLSHint(err, "starttls"); !strings.Contains(h, "insecure_skip_verify") {
		t.Errorf("email hint: %q", h)
	}
}

// TestWebhookEndpointAskingForAClientCertificateSaysSo: an endpoint that
// requires a client certificate (mutual TLS) fails saying so, under TLS
// 1.3 and 1.2, every time. Before, the hint came from the endpoint's
// alert alone, which a failed write of the request often hid under TLS
// 1.3 ("broken pipe", "connection reset by peer"), and which Go's server
// under TLS 1.2 words "handshake failure", which got no hint.
func TestWebhookEndpointAskingForAClientCertificateSaysSo(t *testing.T) {
	want := "the endpoint asks for a client certificate (mutual TLS), and none is presented: notify.webhook presents none"
	for _, v := range []struct {
		name string
		max  uint16
	}{{"TLS 1.3", tls.VersionTLS13}, {"TLS 1.2", tls.VersionTLS12}} {
		url := opstest.MutualTLSServer(t, &serverCert, v.max)
		_, err := execute(t, registry(t), "notify.webhook", map[string]any{"url": url + "/hook/TOKEN", "text": "x"})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want %q in %v", v.name, want, err)
		}
	}
}
