package tlshint

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync/atomic"
)

// A peer that requires a client certificate judges the client's empty
// one only after the client ended its side of the handshake under TLS
// 1.3: the request written next then often fails with "broken pipe",
// "connection reset by peer" or "http2: client conn could not be
// established" instead of the peer's alert, and a Go server under TLS
// 1.2 says "handshake failure", which has other causes too. So what the
// handshake itself told, that the peer asked for one, is noted in the
// request's context (Watch), where the handshake's GetClientCertificate
// (NoClientCert) finds it, and the hint is given from that.

type recordKey struct{}

// Record notes whether a TLS handshake of a request met a peer asking for
// a client certificate. The nil Record notes nothing.
type Record struct{ asked atomic.Bool }

// Watch returns ctx carrying a new Record, for a request made with it on
// a transport whose TLS config has NoClientCert: the transports dial and
// shake hands with the request's context values.
func Watch(ctx context.Context) (context.Context, *Record) {
	r := &Record{}
	return context.WithValue(ctx, recordKey{}, r), r
}

// NoClientCert is a tls.Config's GetClientCertificate: it presents no
// certificate, as Go does without one, and notes in the handshake's
// context (Watch) that the peer asked for one.
func NoClientCert(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	if ctx := cri.Context(); ctx != nil {
		if r, ok := ctx.Value(recordKey{}).(*Record); ok {
			r.asked.Store(true)
		}
	}
	return &tls.Certificate{}, nil
}

// Reset forgets what earlier handshakes told, before the request goes on
// to another URL (a redirect).
func (r *Record) Reset() {
	if r != nil {
		r.asked.Store(false)
	}
}

// Asked tells whether a handshake met a peer asking for a client
// certificate.
func (r *Record) Asked() bool {
	return r != nil && r.asked.Load()
}

// Hint is the package's Hint, also telling that the peer asks for a
// client certificate when a handshake noted it, whatever error followed
// but a timeout, which is no refusal.
func (r *Record) Hint(err error, w Words) string {
	return hint(err, w, r.Asked() && !timedOut(err))
}

func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
