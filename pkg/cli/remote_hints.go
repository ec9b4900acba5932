package cli

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"golang.org/x/net/http/httpproxy"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// This file says what to check when a request of the remote client got no
// answer of the server: nothing listening, a name that does not resolve,
// a scheme the server does not speak, a certificate this machine does not
// trust, a proxy on the way.

// proxyFunc is the proxy of each request, from the environment as
// http.ProxyFromEnvironment reads it (never for loopback), read through
// e.getenv; it notes the proxy used, for connHint.
func (r *remote) proxyFunc() func(*http.Request) (*url.URL, error) {
	get := func(upper, lower string) string {
		if v := r.e.getenv(upper); v != "" {
			return v
		}
		return r.e.getenv(lower)
	}
	proxy := (&httpproxy.Config{
		HTTPProxy:  get("HTTP_PROXY", "http_proxy"),
		HTTPSProxy: get("HTTPS_PROXY", "https_proxy"),
		NoProxy:    get("NO_PROXY", "no_proxy"),
		CGI:        r.e.getenv("REQUEST_METHOD") != "",
	}).ProxyFunc()
	return func(req *http.Request) (*url.URL, error) {
		u, err := proxy(req.URL)
		if u != nil {
			r.proxied.Store(u)
		}
		return u, err
	}
}

// serverURL reads the server's URL, from --server or, fromEnv, from
// $ARSENAL_SERVER: http:// or https://, a host, maybe a path (a proxy's
// prefix), and nothing else: a query or fragment would end up inside
// the path of every request, and a user and password in the URL would
// be sent, and shown, where the key is not.
func serverURL(server string, fromEnv bool) (*url.URL, error) {
	from := "--server"
	if fromEnv {
		from = "$ARSENAL_SERVER"
	}
	base, err := url.Parse(strings.TrimRight(server, "/"))
	switch {
	case strings.Contains(server, "@") && (err != nil || !strings.Contains(server, "://")):
		// user:password@host, or a URL a password's # or % keeps from
		// parsing: not quoted, the password with it.
		return nil, fmt.Errorf("%s: give an http:// or https:// URL, without a user and password: the API key goes in the variable of --key-env ($ARSENAL_API_KEY)", from)
	case !strings.Contains(server, "://"):
		return nil, fmt.Errorf("%s %q: give an http:// or https:// URL, like https://%s", from, server, strings.TrimLeft(server, "/:"))
	case err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "":
		return nil, fmt.Errorf("%s %q: give an http:// or https:// URL, like https://runner.internal:8080", from, server)
	case base.User != nil:
		return nil, fmt.Errorf("%s: leave the user and password out of the URL: serve does not read them, and messages would show them; the API key goes in the variable of --key-env ($ARSENAL_API_KEY)", from)
	case base.RawQuery != "" || base.ForceQuery || base.Fragment != "":
		return nil, fmt.Errorf("%s %q: give the server's base URL, without ?query or #fragment", from, server)
	}
	return base, nil
}

// emptyArg says what to give for an empty argument of a subcommand (an
// unset shell variable), which would otherwise name another endpoint.
func emptyArg(pos []string) string {
	if len(pos) != 2 || strings.TrimSpace(pos[1]) != "" {
		return ""
	}
	switch pos[0] {
	case "exec":
		return "exec: the operation's name is empty; give one that 'arsenal-run remote ops list' lists"
	case "run":
		return "run: the playbook's name is empty; give the name of one of the server's playbooks"
	case "cancel":
		return "cancel: the run id is empty; give the id of the run, as 'arsenal-run remote runs' lists it"
	}
	return ""
}

// serverFrom names where the server's URL came from, for the advice.
func (r *remote) serverFrom() string {
	if r.fromEnv {
		return "$ARSENAL_SERVER"
	}
	return "--server"
}

// connHint says what to check when err, which is not an answer of the
// server, comes from the connection; it tells whether it said anything.
func (r *remote) connHint(err error) bool {
	host := r.base.Host
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "proxyconnect" {
		return r.proxyHint()
	}
	var unknownCA x509.UnknownAuthorityError
	var wrongName x509.HostnameError
	var invalid x509.CertificateInvalidError
	var dns *net.DNSError
	switch {
	case errors.Is(err, http.ErrSchemeMismatch):
		r.e.errorf("%s speaks plain HTTP, not HTTPS: give %s http://%s, or serve it with --tls-cert and --tls-key", host, r.serverFrom(), host)
	case errors.As(err, &unknownCA):
		if r.o.ca != "" {
			r.e.errorf("the server's certificate is not signed by the CA of --ca %s: give --ca the CA that signed serve's --tls-cert", r.o.ca)
		} else {
			r.e.errorf("the server's certificate is not signed by a CA this machine trusts: give --ca FILE, the CA that signed serve's --tls-cert")
		}
	case errors.As(err, &wrongName):
		r.e.errorf("the server's certificate is not for %s: give %s with a name the certificate holds, or a certificate for %s to serve's --tls-cert", r.base.Hostname(), r.serverFrom(), r.base.Hostname())
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		r.e.errorf("the server's certificate has expired, or is not valid yet (check this machine's clock): renew serve's --tls-cert")
	case r.proxyHint():
	case errors.Is(err, syscall.ECONNREFUSED):
		r.e.errorf("nothing accepts connections at %s: check that serve runs there and that %s names its --listen address and port", host, r.serverFrom())
	case errors.As(err, &dns) && dns.IsNotFound:
		r.e.errorf("the name %s does not resolve: check %s for a typo", r.base.Hostname(), r.serverFrom())
	default:
		return false
	}
	return true
}

// proxyHint names the proxy the requests went through, if any, and tells
// whether there was one.
func (r *remote) proxyHint() bool {
	u, ok := r.proxied.Load().(*url.URL)
	if !ok || u == nil {
		return false
	}
	v := "$HTTP_PROXY"
	if r.base.Scheme == "https" {
		v = "$HTTPS_PROXY"
	}
	r.e.errorf("the request went through the proxy %s (from %s): check that the proxy runs and may reach %s, or add %s to $NO_PROXY to connect directly", termtext.Line(shownURL(u)), v, r.base.Host, r.base.Hostname())
	return true
}

// httpsOnly tells whether an answer is Go's to a plain HTTP request sent
// to an HTTPS server.
func httpsOnly(ae *apiError) bool {
	return ae.status == http.StatusBadRequest && ae.Class == "internal" && strings.Contains(ae.Msg, "HTTP request to an HTTPS server")
}
