package cluster

import "github.com/arsenal-run/arsenal-run/pkg/ops/internal/tlshint"

// tlsWords are the words of the probes' TLS hints. The probes accept no
// certificate they cannot verify, so no insecure_skip_verify is named.
var tlsWords = tlshint.Words{Peer: "the node", Where: "the node's URL", Scheme: "its URL",
	ClientCert: "the probes present none; give the node a URL that does not ask for one (a health port of its own, say)"}
