package telemetry

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/arsenal-run/arsenal-run/pkg/telemetry/httptrace"
)

// Handler wraps a server's handler (serve) so that each request gets a
// server span that continues the trace of an incoming W3C traceparent; a
// run the request starts becomes the span's child (the run service takes
// the span from the request's context). Only the method and path are
// recorded, never the query, headers or body. The span is named by the
// method alone until the handler names its route (SetRoute): a name
// with the path would make one name per run id, or per path a client
// makes up. A nil Provider returns next.
func (p *Provider) Handler(next http.Handler) http.Handler {
	if p == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := httptrace.Propagator.Extract(req.Context(), propagation.HeaderCarrier(req.Header))
		ctx, span := p.tracer.Start(ctx, "HTTP "+req.Method,
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				attribute.String("http.request.method", req.Method),
				attribute.String("url.path", req.URL.Path),
			))
		defer span.End()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, req.WithContext(ctx))
		span.SetAttributes(attribute.Int("http.response.status_code", sw.code))
		if sw.code >= 500 {
			span.SetStatus(codes.Error, http.StatusText(sw.code))
		}
	})
}

// SetRoute names the server span of ctx (see Handler) by the route that
// serves the request, a pattern like /api/v1/runs/{id}, and records it as
// http.route.
func SetRoute(ctx context.Context, method, route string) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.SetName("HTTP " + method + " " + route)
	span.SetAttributes(attribute.String("http.route", route))
}

// statusWriter remembers the status code; Unwrap lets
// http.ResponseController reach the Flusher and deadlines of the original.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes on to the original writer, for Server-Sent Events.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
