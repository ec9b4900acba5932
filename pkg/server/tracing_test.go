package server

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/arsenal-run/arsenal-run/pkg/telemetry"
)

// TestServerSpansNamedByRoute: a traced request's span is named by its
// route, as the metrics label it, never by the path: run ids, and the
// paths of requests no route has, would make a new span name each.
func TestServerSpansNamedByRoute(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	p, err := telemetry.NewWithExporter(exp, telemetry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	ts := newTestServer(t, func(c *Config) { c.Middleware = p.Handler })
	ts.get("viewer", "/api/v1/runs/20260101T000000-0123456789abcdef").wantError(t, 404, ClassNotFound)
	ts.get("viewer", "/api/v1/no/such/thing").wantError(t, 404, ClassNotFound)
	ts.get("", "/healthz").want(t, 200)
	p.Flush(context.Background())
	var names []string
	for _, s := range exp.GetSpans() {
		if s.SpanKind == trace.SpanKindServer {
			names = append(names, s.Name)
		}
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"HTTP GET", "HTTP GET /api/v1/runs/{id}", "HTTP GET /healthz"}, names); diff != "" {
		t.Errorf("server span names (-want +got):\n%s", diff)
	}
}
