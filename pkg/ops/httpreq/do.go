package httpreq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/jsonx"
	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/capture"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/jsoncost"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/tlshint"
	"github.com/arsenal-run/arsenal-run/pkg/telemetry/httptrace"
)

// maxBytesLimit is the most max_bytes may be.
const maxBytesLimit = 64 << 20

// Execute sends the request and reads the response.
func (op *Request) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	method := methodOf(p)
	u, err := parseURL(p.String("url"))
	if err != nil {
		return nil, ops.Errorf(ops.ClassValidation, "param url: %v", err)
	}
	if p.Known("query") {
		q, err := queryValues(p.Map("query"))
		if err != nil {
			return nil, ops.Errorf(ops.ClassValidation, "param query: %v", err)
		}
		withQuery(u, q)
	}
	show := urlShower(ctx)
	masked := show(u)
	var body io.Reader
	contentType := ""
	switch {
	case p.Known("json"):
		b, err := json.Marshal(p["json"])
		if err != nil {
			return nil, ops.Errorf(ops.ClassValidation, "param json: cannot encode as JSON: %v", err)
		}
		body, contentType = strings.NewReader(string(b)), "application/json"
	case p.Known("body"):
		body = strings.NewReader(p.String("body"))
	}
	timeout := p.Duration("timeout")
	ctx, cancel := context.WithTimeoutCause(ctx, timeout,
		timeoutError(fmt.Sprintf("%s %s: no complete response within %s (param timeout)", method, masked, short.Duration(timeout))))
	defer cancel()
	rctx, asked := tlshint.Watch(withDialLimit(ctx))
	req, err := http.NewRequestWithContext(rctx, method, u.String(), body)
	if err != nil {
		return nil, ops.Errorf(ops.ClassValidation, "%s %s: %v", method, masked, redact.InText(err.Error(), u))
	}
	req.Header.Set("User-Agent", "arsenal-run")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	var userHeaders []string
	for k, v := range p.Map("headers") {
		s, err := headerValue(k, v)
		if err != nil {
			return nil, ops.Errorf(ops.ClassValidation, "param headers: %v", err)
		}
		if strings.EqualFold(k, "Host") {
			if policy.HasDialPolicy(ctx) && !sameHost(s, u.Host) {
				// The rules judge the host dialled; a Host header would
				// pick another virtual host behind it.
				return nil, ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%w: header Host %q names another host than the URL's (%s); under a role with http rules the request goes to the URL's host only: put the host in the URL", ops.ErrDenied, s, u.Hostname()))
			}
			req.Host = s
			continue
		}
		req.Header.Set(k, s)
		userHeaders = append(userHeaders, http.CanonicalHeaderKey(k))
	}

	tr, done := op.transportFor(ctx, p.Bool("insecure_skip_verify"))
	defer done()
	redirect := checkRedirect(p.Int("follow_redirects"), userHeaders)
	client := &http.Client{Transport: httptrace.Transport(tr), CheckRedirect: func(r *http.Request, via []*http.Request) error {
		asked.Reset() // what the next URL's server asks is its own
		return redirect(r, via)
	}}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, op.fail(ctx, err, asked, method, u, show)
	}
	defer resp.Body.Close()
	limit := op.bodyLimit(p)
	raw := &counted{ReadCloser: resp.Body}
	resp.Body = raw
	answer, undecoded := decodedBody(resp)
	known, held := bodySize(resp, answer == io.Reader(raw), limit)
	// The hold may grow by the body's text: room the pool keeps for it,
	// all of it at most (a step alone in the pool has the rest).
	claim := max(held, min(held+textRoom(max(known, limit)), op.Memory.Limit()))
	hold, err := op.Memory.HoldUpTo(ctx, held, claim, fmt.Sprintf("%s %s (max_bytes %d)", method, masked, limit))
	if err != nil {
		return nil, err
	}
	defer hold.Release()
	buf := capture.NewBufferSize(limit, known)
	buf.Guard(ops.CallFrom(ctx).Secrets)
	size, err := io.Copy(buf, answer)
	if err != nil {
		if _, own := context.Cause(ctx).(timeoutError); own {
			// The answer came: said, so that a stream that never ends
			// is not taken for a server that never answered.
			return nil, timeoutError(fmt.Sprintf("%s %s: status %d came, but the body did not end within %s (param timeout; %d bytes read): "+
				"a slow server, or an answer that never ends (a stream, a watch)", method, masked, resp.StatusCode, short.Duration(timeout), size))
		}
		// The server answered: it took the connection without a
		// client certificate, whatever it asked (nil Record).
		return nil, op.fail(ctx, fmt.Errorf("reading the body: %w", cutBody(err, resp, raw.n)), nil, method, u, show)
	}
	// A body of unknown size is now known: the hold keeps its buffers,
	// and the copy of the tail the parts of a cut body make.
	kept := buf.Held()
	if buf.Truncated() {
		kept += limit
	}
	hold.Keep(int64(kept))
	parts := buf.Parts()
	if ok, err := hold.Grow(ctx, int64(capture.ValidTextLen(parts))); err != nil || !ok {
		return nil, op.memoryFail(ctx, err, method, masked, size)
	}
	out := map[string]any{
		"status":      resp.StatusCode,
		"headers":     headerMap(resp.Header),
		"body":        capture.ValidText(parts),
		"json":        nil,
		"json_error":  nil,
		"truncated":   buf.Truncated(),
		"url":         show(resp.Request.URL),
		"duration_ms": int(time.Since(start).Milliseconds()),
	}
	switch {
	case !isJSON(resp.Header.Get("Content-Type")) || size == 0:
	case undecoded != "":
		out["json_error"] = fmt.Sprintf("the body is encoded with %s (Content-Encoding), which is not decoded; "+
			"leave Accept-Encoding out of headers (gzip is then asked for and decoded)", undecoded)
	case buf.Truncated():
		// Said, so that json being null does not send the reader to
		// the expression when the cure is max_bytes.
		out["json_error"] = fmt.Sprintf("the body (%d bytes) is longer than max_bytes (%d), so it was cut and not decoded; "+
			"raise max_bytes (up to %d, 64 MiB) to read it as JSON", size, limit, maxBytesLimit)
	default:
		body := buf.Bytes() // whole: not cut
		cost := jsoncost.Of(body)
		ok, err := hold.Grow(ctx, cost)
		switch {
		case errors.Is(err, ops.ErrOutputMemoryBusy):
			out["json_error"] = fmt.Sprintf("the body (%d bytes) was not decoded: its JSON would take about %s of memory decoded, and the other steps building outputs at once "+
				"held the rest of the %s operations may hold (%s) while they waited for more too; "+
				"run fewer such steps at once (concurrency), or raise the limit", size, fsx.Size(cost), fsx.Bytes(op.Memory.Limit()), ops.OutputMemorySetting)
		case err != nil:
			return nil, op.memoryFail(ctx, err, method, masked, size)
		case !ok:
			out["json_error"] = fmt.Sprintf("the body (%d bytes) was not decoded: its JSON would take about %s of memory decoded, beside the %s its bytes and text hold, "+
				"more than the %s operations may hold at once (%s); ask the server for less (a page, a filter), or raise the limit to at least %s",
				size, fsx.Size(cost), fsx.Size(hold.Held()), fsx.Bytes(op.Memory.Limit()), ops.OutputMemorySetting, fsx.Bytes((hold.Held()+cost+1<<20-1)>>20<<20))
		default:
			if v, err := decodeJSON(body); err != nil {
				out["json_error"] = "the body is not valid JSON: " + err.Error()
			} else {
				out["json"] = v
			}
		}
	}
	if !statusOK(resp.StatusCode, p.List("expect_status")) {
		want := "2xx"
		if l := p.List("expect_status"); len(l) > 0 {
			want = ops.FlowList(l)
		}
		msg := fmt.Sprintf("%s %s: status %s, expected %s", method, out["url"], resp.Status, want)
		body := parts[0]
		if secrets := ops.CallFrom(ctx).Secrets; len(secrets) > 0 {
			// Masked before the cut, which would leave a secret's head:
			// the snippet's bytes and a secret's length past them.
			longest := 0
			for _, s := range secrets {
				longest = max(longest, len(s))
			}
			body = []byte(redact.New(secrets...).String(string(body[:min(len(body), 256+longest)])))
		}
		if snippet := snippet(body, 200); snippet != "" {
			msg += "; body: " + snippet
		}
		err := errors.New(msg)
		if wait, ok := ops.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			err = &ops.RetryAfterError{After: wait, Err: fmt.Errorf("%s; the server asks for %s before a retry (Retry-After)", msg, short.Duration(wait))}
		}
		return out, ops.WithClass(ops.ClassExecution, err)
	}
	return out, nil
}

// timeoutError is the cause of the op's own timeout; it is a
// context.DeadlineExceeded, so the step's class is timeout.
type timeoutError string

func (e timeoutError) Error() string { return string(e) }
func (e timeoutError) Unwrap() error { return context.DeadlineExceeded }

// fail turns a client error into a classed error with the URL shown as
// show (urlShower) shows it, and the URL a redirect led to when the
// request that failed is that one. asked tells whether its handshake met
// a server asking for a client certificate.
func (op *Request) fail(ctx context.Context, err error, asked *tlshint.Record, method string, u *url.URL, show func(*url.URL) string) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	class := ops.ClassExecution
	if errors.Is(err, ops.ErrDenied) {
		class = ops.ClassAuthorization
	}
	masked, via := show(u), ""
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
		via = redirectedTo(ue.URL, u, show)
	}
	if strings.HasPrefix(err.Error(), "failed to parse Location header") {
		// net/http quotes the Location, which cannot be masked when it
		// does not parse.
		err = errors.New("the server redirected to a Location that is not a valid URL (not quoted, as it may hold credentials); " +
			"set follow_redirects: 0 to get the redirect itself, with its Location in the output's headers")
	}
	// The URL quoted in the error as the step's output shows it: secrets
	// first, whole (see urlShower).
	msg := via + redact.InText(strings.ReplaceAll(err.Error(), u.String(), masked), u)
	e := fmt.Errorf("%s %s: %s%s%s", method, masked, msg, asked.Hint(err, tlsWords), refusedHint(err, via != ""))
	if class == ops.ClassAuthorization {
		e = fmt.Errorf("%w: %s %s: %s", ops.ErrDenied, method, masked, strings.Replace(msg, ops.ErrDenied.Error()+": ", "", 1))
	}
	return ops.WithClass(class, e)
}

// redirectedTo is "redirected to URL: " when the request that failed,
// whose URL net/http gives as failed, is not the step's own but one a
// redirect led to: a refused port, a scheme other than http, a denied
// host or a certificate error is then not the URL's the step gives. It is
// "" for the step's own URL, and for a Location that is relative or does
// not parse (net/http gives it unresolved), which could not be masked.
func redirectedTo(failed string, u *url.URL, show func(*url.URL) string) string {
	r, err := url.Parse(failed)
	if err != nil || !r.IsAbs() || r.Host == "" {
		return ""
	}
	a, b := *r, *u
	a.User, b.User = nil, nil // net/http shows a password as ***
	if a.String() == b.String() {
		return ""
	}
	return "redirected to " + show(r) + ": "
}

// urlShower returns how the step's output and errors show a URL: the
// run's secrets masked first, whole, then credential-looking values (see
// redact.MaskURL). Masking a token=… value first would cut a secret holding
// an '&' there and leave its tail, no longer the whole secret, in clear.
// The secrets' redactor is built once, for every URL of the call.
func urlShower(ctx context.Context) func(*url.URL) string {
	secrets := ops.CallFrom(ctx).Secrets
	if len(secrets) == 0 {
		return redact.URL
	}
	mask := redact.New(secrets...).String
	return func(u *url.URL) string { return redact.MaskURL(u, mask) }
}

// safeHeaders may follow a redirect to another host.
var safeHeaders = map[string]bool{"Accept": true, "Accept-Language": true, "User-Agent": true, "Content-Type": true}

// checkRedirect follows at most max redirects. When a redirect leaves the
// original scheme and host (or downgrades https to http) it drops
// credentials, the Referer (the client adds the URL called, whose query
// may hold a token) and every header the step set, except harmless ones,
// and it stops at a 307 or 308, which would send the body there too.
func checkRedirect(max int, userHeaders []string) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if max == 0 {
			return http.ErrUseLastResponse
		}
		if len(via) > max {
			return fmt.Errorf("stopped after %d redirects (param follow_redirects)", max)
		}
		orig := via[0].URL
		if hostPort(orig) == hostPort(req.URL) && !(orig.Scheme == "https" && req.URL.Scheme == "http") {
			return nil
		}
		if r := req.Response; r != nil && req.Body != nil && req.Body != http.NoBody {
			// A 307 or 308 sends the body again (a 301, 302 or 303 turns
			// the request into a GET without it), here to a host the step
			// does not name, or in clear: curl, browsers and Go's client
			// would send it; what a step posts (a token, a payload) is for
			// its URL's host only.
			return fmt.Errorf("not followed: the server answered %s, which would send the request's body again, to another host (or over http); "+
				"give that URL in the step if the body is meant for it, or set follow_redirects: 0 to get the redirect itself", r.Status)
		}
		for _, h := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Cookie2", "Referer"} {
			req.Header.Del(h)
		}
		for _, h := range userHeaders {
			if !safeHeaders[h] {
				req.Header.Del(h)
			}
		}
		return nil
	}
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

func statusOK(code int, expect []any) bool {
	if len(expect) == 0 {
		return code >= 200 && code < 300
	}
	for _, v := range expect {
		switch n := v.(type) {
		case int:
			if n == code {
				return true
			}
		case float64:
			if int(n) == code {
				return true
			}
		}
	}
	return false
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// decodeJSON decodes a body holding one JSON value, whole numbers as int
// (exact up to the int64 range) and others as float64, as operations
// return numbers: as float64, an id past 2^53 would lose its last digits.
func decodeJSON(b []byte) (any, error) {
	v, err := jsonx.Decode(b)
	if err != nil {
		return nil, err
	}
	return jsonx.Numbers(v), nil
}

func headerMap(h http.Header) map[string]any {
	m := make(map[string]any, len(h))
	for k, v := range h {
		m[k] = strings.ToValidUTF8(strings.Join(v, ", "), "\uFFFD")
	}
	return m
}

// snippet is the start of a body on one line, for error messages.
func snippet(b []byte, n int) string {
	cut := len(b) > n
	if cut {
		b = b[:n]
	}
	s := strings.Join(strings.Fields(capture.Text(b)), " ")
	if cut {
		s += "..."
	}
	return s
}

// sameHost reports whether a Host header names the URL's host (its port
// aside): names as DNS compares them, addresses as addresses.
func sameHost(header, urlHost string) bool {
	name := func(h string) string {
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
		if a, err := netip.ParseAddr(h); err == nil {
			return a.Unmap().String()
		}
		return h
	}
	return name(header) == name(urlHost)
}

// tlsWords are the words of http.request's TLS hints.
var tlsWords = tlshint.Words{Peer: "the server", Where: "the URL", Scheme: "the URL", SkipVerify: true,
	ClientCert: "http.request presents none; call a URL of the server that does not ask for one, or send the request with shell.exec and curl --cert"}
