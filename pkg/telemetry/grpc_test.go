package telemetry_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/telemetry"
)

// collector is an OTLP/gRPC trace receiver on loopback that keeps what
// it is sent.
type collector struct {
	coltracepb.UnimplementedTraceServiceServer
	mu      sync.Mutex
	reqs    []*coltracepb.ExportTraceServiceRequest
	headers []metadata.MD
}

func (c *collector) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	c.mu.Lock()
	c.reqs, c.headers = append(c.reqs, req), append(c.headers, md)
	c.mu.Unlock()
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func startCollector(t *testing.T) (*collector, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, c)
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return c, "http://" + ln.Addr().String()
}

// TestOTLPExportOverGRPC exports over OTLP/gRPC, configured by the
// standard variables, to a loopback collector: the run's spans arrive
// with the resource and the headers asked for.
func TestOTLPExportOverGRPC(t *testing.T) {
	c, endpoint := startCollector(t)
	env := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
		"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
		"OTEL_EXPORTER_OTLP_HEADERS":  "x-team=sre",
		"OTEL_SERVICE_NAME":           "ops-runner",
	}
	cfg := telemetry.ConfigFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	p, err := telemetry.New(cfg)
	if err != nil || p == nil {
		t.Fatalf("New: %v, %v", p, err)
	}
	defer p.Shutdown(context.Background())
	path := writeFile(t, t.TempDir(), "g.yaml", "version: 1\nname: grpc\nsteps:\n  - {id: a, op: control.noop}\n")
	if rep := runWith(t, p, path, nil); rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s: %+v", rep.Status, rep.Error)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.reqs) == 0 {
		t.Fatal("the collector got nothing")
	}
	names := map[string]bool{}
	var service string
	for _, req := range c.reqs {
		for _, rs := range req.ResourceSpans {
			for _, kv := range rs.Resource.Attributes {
				if kv.Key == "service.name" {
					service = kv.Value.GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					names[s.Name] = true
				}
			}
		}
	}
	if diff := cmp.Diff(map[string]bool{"run grpc": true, "step a": true, "attempt 1": true}, names); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	if service != "ops-runner" {
		t.Errorf("service.name %q, want ops-runner", service)
	}
	if got := c.headers[0].Get("x-team"); len(got) != 1 || got[0] != "sre" {
		t.Errorf("header x-team %v, want [sre]", got)
	}
}

// TestUnreachableGRPCCollectorIsBounded: over gRPC too, a collector
// nobody listens for fails no run and holds its end for at most about the
// flush timeout.
func TestUnreachableGRPCCollectorIsBounded(t *testing.T) {
	const flush = 500 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	ln.Close()
	p, err := telemetry.New(telemetry.Config{Endpoint: endpoint, Protocol: "grpc", FlushTimeout: flush})
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, t.TempDir(), "u.yaml", "version: 1\nname: u\nsteps:\n  - {id: a, op: control.noop}\n")
	start := time.Now()
	rep := runWith(t, p, path, nil)
	took := time.Since(start)
	if rep.Status != report.StatusSucceeded {
		t.Errorf("run %s: %+v", rep.Status, rep.Error)
	}
	// Generous: the bound is the flush timeout, plus the run itself.
	if took > flush+3*time.Second {
		t.Errorf("the run took %s with no collector; the flush timeout is %s", took, flush)
	}
	start = time.Now()
	p.Shutdown(context.Background())
	if took := time.Since(start); took > flush+3*time.Second {
		t.Errorf("shutdown took %s; the flush timeout is %s", took, flush)
	}
}
