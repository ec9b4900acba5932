package httpreq

import (
	"context"
	"net"
	"net/http/httptrace"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// The pool goes on with a dial after the request that started it gave up,
// for a later request to use, and so without the request's context: no
// deadline, no cancellation. The request's deadline is carried to the
// dial as a value instead, and bounds the connection and what follows on
// it before a request has it (a TLS handshake, a proxy's CONNECT): a
// server that accepts and says nothing would otherwise hold a goroutine
// and a connection of a long-lived serve or schedule for ever.

// dialLimitKey keys the deadline of the request a dial is for.
type dialLimitKey struct{}

// withDialLimit carries ctx's deadline to the dials of its request, and
// lifts it from the connection the request is given: a connection in the
// pool outlives the request it was dialled for.
func withDialLimit(ctx context.Context) context.Context {
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx
	}
	ctx = context.WithValue(ctx, dialLimitKey{}, dl)
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			if info.Conn != nil {
				info.Conn.SetDeadline(time.Time{})
			}
		},
	})
}

// dialBounded dials addr within the deadline of the request it is for,
// and keeps that deadline on the connection until a request has it
// (withDialLimit).
func dialBounded(ctx context.Context, dialer net.Dialer, network, addr string) (net.Conn, error) {
	dl, ok := ctx.Value(dialLimitKey{}).(time.Time)
	if !ok {
		return policy.DialContext(ctx, dialer, network, addr)
	}
	ctx, cancel := context.WithDeadline(ctx, dl)
	defer cancel()
	c, err := policy.DialContext(ctx, dialer, network, addr)
	if err != nil {
		return nil, err
	}
	if err := c.SetDeadline(dl); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
