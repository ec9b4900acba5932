package notify

import (
	"crypto/tls"
	"errors"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/tlshint"
)

// emailTLSHint says what to do when the exchange failed for TLS: a
// certificate that did not verify, or a port that does not speak TLS
// from its first byte under tls: implicit.
func emailTLSHint(err error, mode string) string {
	if h := tlshint.Hint(err, tlshint.Words{Peer: "the server", Where: "host", SkipVerify: true}); h != "" {
		return h
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok && mode == "implicit" {
		return "; the server does not speak TLS from the first byte on this port: use tls: starttls (usually port 587)"
	}
	return ""
}

// webhookTLSWords are the words of notify.webhook's TLS hints: it takes no
// insecure_skip_verify, and a hint naming it would lead to an unknown
// param.
var webhookTLSWords = tlshint.Words{Peer: "the endpoint", Where: "the URL",
	ClientCert: "notify.webhook presents none; use a URL of an endpoint that does not ask for one",
	Other:      "; the endpoint's certificate must be renewed or replaced by one that verifies"}
