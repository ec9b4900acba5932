// Package httptrace traces the HTTP requests that operations make: a
// client span per request, and the W3C traceparent header sent to the
// server, so that a trace continues across services. It depends only on
// the OpenTelemetry API: with no span in a request's context (tracing
// off) a request goes out untouched.
package httptrace

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/arsenal-run/arsenal-run/internal/redact"
)

// ScopeName is the instrumentation scope of the spans this package makes.
const ScopeName = "github.com/arsenal-run/arsenal-run/pkg/telemetry/httptrace"

// Propagator reads and writes the W3C traceparent and tracestate headers.
var Propagator = propagation.TraceContext{}

type maskKey struct{}
type quietKey struct{}

// Masker masks secrets in text; an engine call is one.
type Masker interface {
	MaskString(s string) string
}

// WithMask returns a context whose requests have their URLs and errors
// passed through m before they become span attributes, so the run's
// secrets stay masked there too. A URL is masked as sent and unescaped,
// after its password and token-like query values are masked as
// http.request reports them; with no m only the latter are masked.
func WithMask(ctx context.Context, m Masker) context.Context {
	return context.WithValue(ctx, maskKey{}, m)
}

// WithoutSpans returns a context whose requests make no span of their own
// but still send the traceparent of the span in ctx: for fan-out items
// beyond the sampled ones.
func WithoutSpans(ctx context.Context) context.Context {
	return context.WithValue(ctx, quietKey{}, true)
}

// Quiet reports whether ctx was made by WithoutSpans.
func Quiet(ctx context.Context) bool {
	q, _ := ctx.Value(quietKey{}).(bool)
	return q
}

func maskOf(ctx context.Context) func(string) string {
	if m, ok := ctx.Value(maskKey{}).(Masker); ok && m != nil {
		return m.MaskString
	}
	return func(s string) string { return s }
}

// Transport wraps base (http.DefaultTransport when nil) so that each
// request made under a recording span gets a client span, child of that
// span, and carries its traceparent. The span ends when the response
// headers arrive, or with the error.
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base}
}

type transport struct{ base http.RoundTripper }

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	parent := trace.SpanFromContext(ctx)
	if !parent.SpanContext().IsValid() {
		return t.base.RoundTrip(req)
	}
	if Quiet(ctx) || !parent.IsRecording() {
		out := req.Clone(ctx)
		Propagator.Inject(ctx, propagation.HeaderCarrier(out.Header))
		return t.base.RoundTrip(out)
	}
	mask := maskOf(ctx)
	u := *req.URL
	u.User = nil
	ctx, span := parent.TracerProvider().Tracer(ScopeName).Start(ctx, "HTTP "+req.Method,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", req.Method),
			attribute.String("url.full", redact.MaskURL(&u, mask)),
			attribute.String("server.address", u.Hostname()),
		))
	defer span.End()
	out := req.Clone(ctx)
	Propagator.Inject(ctx, propagation.HeaderCarrier(out.Header))
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		span.SetStatus(codes.Error, mask(redact.InText(err.Error(), req.URL)))
		span.SetAttributes(attribute.String("error.type", "transport"))
		return resp, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 400 {
		span.SetStatus(codes.Error, resp.Status)
	}
	return resp, nil
}
