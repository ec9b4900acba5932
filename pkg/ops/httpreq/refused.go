package httpreq

import (
	"errors"
	"net"
	"syscall"
)

// refusedHint says what to check when the connection was refused: the
// port in url (or the Location a redirect gave), that the service runs,
// or the proxy from the environment when it is the proxy that refused.
// A bare "connection refused" left a reader to guess which of them.
func refusedHint(err error, redirected bool) string {
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return ""
	}
	proxy := false
	var addr string
	for e := err; e != nil; e = errors.Unwrap(e) {
		oe, ok := e.(*net.OpError)
		if !ok {
			continue
		}
		if oe.Op == "proxyconnect" {
			proxy = true
		}
		if oe.Op == "dial" && oe.Addr != nil {
			addr = oe.Addr.String()
		}
	}
	where := "nothing listens there"
	if addr != "" {
		where = "nothing listens on " + addr
	}
	switch {
	case proxy:
		return "; " + where + ", the proxy from the environment: check HTTPS_PROXY, HTTP_PROXY and NO_PROXY, and that the proxy runs"
	case redirected:
		return "; " + where + ": check the Location the server redirected to, and that the service there runs"
	}
	return "; " + where + ": check the port in url, and that the service runs"
}
