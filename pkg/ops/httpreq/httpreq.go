// Package httpreq holds the http.request operation: one HTTP request with a
// bounded response, redirects that never carry credentials to another host,
// URLs whose credentials are masked in every output and error, and a
// dial-time check of each connection against the caller's network policy.
package httpreq

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/capture"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/port"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/tlshint"
)

// DialScope is what an authorization scope (ops.Call.Scope) implements to
// restrict the addresses http.request may connect to. It is consulted for
// every connection, with the resolved IP, so a name that resolves to a
// forbidden address is refused too.
type DialScope = policy.DialPolicy

// Request is the http.request operation. Its zero value is ready to use;
// fields must not change after registration. It keeps one connection pool
// for verified TLS and one for insecure_skip_verify, reused across steps;
// Close releases their idle connections. It is safe for concurrent use.
type Request struct {
	// BodyLimit is how many bytes of a response body are kept by default;
	// beyond it the first and last halves are kept. Default 1 MiB.
	BodyLimit int
	// Memory is the pool a response's body, its text and its decoded
	// JSON are held in while the step runs (ops.OutputMemory); Register
	// sets the registry's when it is nil.
	Memory *ops.OutputMemory

	once             sync.Once
	secure, insecure *http.Transport
}

var (
	_ ops.Op             = (*Request)(nil)
	_ ops.ParamValidator = (*Request)(nil)
	_ ops.RiskAssessor   = (*Request)(nil)
	_ io.Closer          = (*Request)(nil)
)

// Register adds http.request to r. op may be nil for the defaults.
func Register(r *ops.Registry, op *Request) error {
	if op == nil {
		op = &Request{}
	}
	if op.Memory == nil {
		op.Memory = r.OutputMemory()
	}
	return r.Register(Spec(), op)
}

var methods = []any{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// Spec describes http.request.
func Spec() ops.Spec {
	return ops.Spec{
		Name: "http.request",
		Description: "Send an HTTP request and return the response. Fails when the status is not in expect_status (default: any 2xx); the output is returned with the failure. " +
			"The body is kept up to max_bytes (head and tail) and decoded into json when the response is JSON. " +
			"Redirects are followed up to follow_redirects; credentials, custom headers and the body are never sent on to another host (a 307 or 308 there is not followed). " +
			"Passwords and token-like query parameters in URLs are masked in the output and errors. " +
			"Without method, a request with body or json is a POST, as with curl -d; else a GET. Risk: read for GET, HEAD and OPTIONS, write otherwise, or when an X-HTTP-Method-Override header or a _method query parameter names another method.",
		Risk: ops.RiskWrite,
		Params: []ops.Param{
			{Name: "method", Type: ops.TypeString, Enum: methods, Description: "the HTTP method; default POST when body or json is given, else GET"},
			{Name: "url", Type: ops.TypeString, Required: true, Target: ops.TargetURL, MaxLen: 8192, Description: "an http:// or https:// URL"},
			{Name: "query", Type: ops.TypeMap, Description: "query parameters, name to value (a string, number or bool, or a list of them to repeat it), each escaped and added after the url's own query"},
			{Name: "headers", Type: ops.TypeMap, Description: "request headers, name to value"},
			{Name: "body", Type: ops.TypeString, MaxLen: 16 << 20, Description: "the request body as text; exclusive with json"},
			{Name: "json", Type: ops.TypeAny, Description: "a value sent as a JSON body with Content-Type application/json; exclusive with body"},
			{Name: "expect_status", Type: ops.TypeList, Items: ops.TypeInteger, MaxLen: 100, Description: "the statuses that count as success; default any 2xx"},
			{Name: "timeout", Type: ops.TypeDuration, Default: "30s", Max: ops.Bound(3600), Description: "limit for the whole exchange, redirects and body included"},
			{Name: "follow_redirects", Type: ops.TypeInteger, Default: 5, Min: ops.Bound(0), Max: ops.Bound(20), Description: "how many redirects to follow; 0 returns the redirect response itself"},
			{Name: "insecure_skip_verify", Type: ops.TypeBool, Default: false, Description: "accept any TLS certificate (self-signed, expired, wrong host); for tests and labs only"},
			{Name: "max_bytes", Type: ops.TypeInteger, Min: ops.Bound(2), Max: ops.Bound(maxBytesLimit), Description: "the most bytes of body kept (default 1 MiB)"},
		},
		Output: []ops.Field{
			{Name: "status", Type: "integer", Description: "the HTTP status code"},
			{Name: "headers", Type: "map", Description: "response headers by canonical name (Content-Type); repeated headers joined with \", \""},
			{Name: "body", Type: "string", Description: "the body as UTF-8 text (invalid bytes replaced; gzip decoded), cut to max_bytes"},
			{Name: "json", Type: "any", Description: "the body decoded, when the response is JSON and complete (whole numbers as exact integers); else null"},
			{Name: "json_error", Type: "string", Description: "why a JSON answer's body could not be decoded (not valid JSON, or cut at max_bytes); null when it was, or is not JSON"},
			{Name: "truncated", Type: "bool", Description: "true when the middle of the body was cut"},
			{Name: "url", Type: "string", Description: "the final URL after redirects, credentials masked"},
			{Name: "duration_ms", Type: "integer", Description: "time to the end of the body"},
		},
	}
}

// ValidateParams checks the URL, the headers, the statuses and that body
// and json are not both given.
func (*Request) ValidateParams(p ops.Params, _ bool) error {
	var errs ops.ParamErrors
	add := func(param, format string, args ...any) {
		errs = append(errs, &ops.ParamError{Param: param, Msg: fmt.Sprintf(format, args...)})
	}
	if p.Known("url") {
		if _, err := parseURL(p.String("url")); err != nil {
			add("url", "%v", err)
		}
	}
	if p.Known("query") {
		if _, err := queryValues(p.Map("query")); err != nil {
			add("query", "%v", err)
		}
	}
	_, hasBody := p["body"]
	_, hasJSON := p["json"]
	if hasBody && hasJSON {
		add("body", "give body or json, not both")
	}
	if p.Known("headers") {
		for k, v := range p.Map("headers") {
			if v == ops.Deferred {
				continue
			}
			if _, err := headerValue(k, v); err != nil {
				add("headers", "%v", err)
			}
		}
	}
	if p.Known("expect_status") {
		for i, v := range p.List("expect_status") {
			if n, ok := v.(int); ok && (n < 100 || n > 599) {
				add("expect_status", "item %d: %d is not an HTTP status (100..599)", i, n)
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// parseURL accepts absolute http and https URLs with a host.
// Its errors never repeat the URL, which may hold a password.
func parseURL(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		// 127.0.0.1:8080/health or localhost:8080: the scheme was left out.
		return nil, fmt.Errorf("has no scheme; start it with http:// or https://, like http://127.0.0.1:8080/health")
	}
	u, err := url.Parse(s)
	if perr := port.ParseError(err); perr != nil {
		return nil, perr
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return nil, fmt.Errorf("not a valid URL: %v", ue.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("not a valid URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("scheme %q is not supported; use http:// or https://", u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("has no host; write it like https://example.com/path")
	}
	if err := port.OfURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

// headerValue checks one header as net/http would before sending it, so
// that validate finds what it refuses, and returns its value as a string.
// Errors name the header, never its value, which may be a secret.
func headerValue(k string, v any) (string, error) {
	if !validHeaderName(k) {
		return "", fmt.Errorf("%q is not a valid header name; use ASCII letters, digits and - (like X-Request-Id)", k)
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case int, int64, float64, bool:
		s = fmt.Sprint(x)
	default:
		return "", fmt.Errorf("%s: want a string, got %s", k, ops.TypeName(v))
	}
	if strings.ContainsAny(s, "\r\n\x00") {
		return "", fmt.Errorf("%s: the value contains a line break or NUL, which could inject headers", k)
	}
	for _, c := range []byte(s) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return "", fmt.Errorf("%s: the value contains the control character %#02x, which a header may not hold", k, c)
		}
	}
	return s, nil
}

// validHeaderName reports whether k is an HTTP token (RFC 9110, 5.6.2).
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range []byte(k) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// transports builds the shared connection pools once.
func (op *Request) transports() {
	op.once.Do(func() {
		op.secure = newTransport(false)
		op.insecure = newTransport(true)
	})
}

// newTransport builds a connection pool. The connection and the TLS
// handshake are bounded by the request's deadline, which the step's
// timeout param sets (30 s by default, up to an hour), also once the
// request gave up (dialBounded): a limit of the pool's own would fail a
// request given longer, as a timeout of another class.
func newTransport(insecure bool) *http.Transport {
	dialer := net.Dialer{KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialBounded(ctx, dialer, network, addr)
		},
		OnProxyConnectResponse: proxyRefused,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
	}
	// No client certificate is presented; a server that asks for one is
	// noted for the hint (tlshint.Watch).
	t.TLSClientConfig = &tls.Config{GetClientCertificate: tlshint.NoClientCert}
	if insecure {
		t.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // asked for by the step
	}
	return t
}

// proxyRefused names the proxy that refused to open a tunnel to an https
// host, which net/http reports with the status text alone ("Forbidden"),
// read as the host's answer. Its user info, a password maybe, is left out.
func proxyRefused(_ context.Context, proxy *url.URL, _ *http.Request, resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	hint := "check HTTPS_PROXY and NO_PROXY in arsenal-run's environment"
	if resp.StatusCode == http.StatusProxyAuthRequired {
		hint = "it asks for credentials: give them (or the right ones) in HTTPS_PROXY as http://user:password@host:port, or add the host to NO_PROXY"
	}
	return fmt.Errorf("the proxy %s (from the environment) refused to connect to the host: %s; %s", proxy.Host, resp.Status, hint)
}

// transportFor returns the pool to use and a cleanup. A call whose scope
// restricts the network gets a pool of its own without a proxy, so that no
// connection dialled under another scope (or to a proxy) is reused for it.
func (op *Request) transportFor(ctx context.Context, insecure bool) (*http.Transport, func()) {
	op.transports()
	base := op.secure
	if insecure {
		base = op.insecure
	}
	if !policy.HasDialPolicy(ctx) {
		return base, func() {}
	}
	t := base.Clone()
	t.Proxy = nil
	return t, t.CloseIdleConnections
}

// Close releases idle connections.
func (op *Request) Close() error {
	op.transports()
	op.secure.CloseIdleConnections()
	op.insecure.CloseIdleConnections()
	return nil
}

func (op *Request) bodyLimit(p ops.Params) int {
	if n := p.Int("max_bytes"); n > 0 {
		return n
	}
	if op.BodyLimit > 0 {
		return op.BodyLimit
	}
	return capture.DefaultLimit
}
