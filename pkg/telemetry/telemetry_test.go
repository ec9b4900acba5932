package telemetry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/telemetry"
)

// testRegistry is the built-in ops, playbook.run, and test.flaky (read),
// which fails its first attempt of each call.
func testRegistry(t testing.TB) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := builtin.Register(r, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := engine.RegisterPlaybookOp(engine.New(r)); err != nil {
		t.Fatal(err)
	}
	r.MustRegister(ops.Spec{Name: "test.flaky", Risk: ops.RiskRead, Params: []ops.Param{{Name: "note", Type: ops.TypeString}}},
		ops.Func(func(ctx context.Context, p ops.Params) (map[string]any, error) {
			if ops.CallFrom(ctx).Attempt == 0 {
				return nil, ops.Errorf(ops.ClassExecution, "first try fails (%s)", p.String("note"))
			}
			return map[string]any{"ok": true}, nil
		}))
	t.Cleanup(func() { r.Close() })
	return r
}

func writeFile(t testing.TB, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runWith runs the playbook at path through the run service with tracing
// by p, and returns its report.
func runWith(t testing.TB, p *telemetry.Provider, path string, inputs map[string]any) *report.Report {
	t.Helper()
	svc, err := runs.NewService(runs.Config{Registry: testRegistry(t), Telemetry: p})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	mgr := runs.NewManager(svc, runs.Limits{})
	defer mgr.Shutdown(context.Background())
	h, err := mgr.Start(context.Background(), runs.Request{Path: path, Inputs: inputs, Caller: runs.Caller{Roles: []string{"admin"}, Trigger: runs.TriggerCLI}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := h.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func memProvider(t testing.TB, cfg telemetry.Config) (*telemetry.Provider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	p, err := telemetry.NewWithExporter(exp, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown(context.Background()) })
	return p, exp
}

// tree renders spans as indented names, children sorted, so a test can
// compare the shape of a trace.
func tree(spans tracetest.SpanStubs) string {
	children := map[string][]tracetest.SpanStub{}
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.SpanContext.SpanID().String()] = true
	}
	for _, s := range spans {
		parent := s.Parent.SpanID().String()
		if !ids[parent] {
			parent = ""
		}
		children[parent] = append(children[parent], s)
	}
	var b strings.Builder
	var walk func(id string, depth int)
	walk = func(id string, depth int) {
		list := children[id]
		slices.SortFunc(list, func(a, b tracetest.SpanStub) int { return strings.Compare(a.Name, b.Name) })
		for _, s := range list {
			fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth), s.Name)
			walk(s.SpanContext.SpanID().String(), depth+1)
		}
	}
	walk("", 0)
	return b.String()
}

func attr(s tracetest.SpanStub, key string) any {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.AsInterface()
		}
	}
	return nil
}

func byName(spans tracetest.SpanStubs, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// TestSpanTreeShape runs a playbook with a retried step, a fan-out and a
// sub-run, and checks the tree of spans and the attributes that say what
// happened.
func TestSpanTreeShape(t *testing.T) {
	p, exp := memProvider(t, telemetry.Config{})
	dir := t.TempDir()
	writeFile(t, dir, "child.yaml", "version: 1\nname: child\nsteps:\n  - {id: inner, op: control.noop}\n")
	path := writeFile(t, dir, "tree.yaml", `version: 1
name: tree
steps:
  - id: flaky
    op: test.flaky
    retry: {attempts: 2}
  - id: fan
    op: control.noop
    foreach: '[1, 2, 3]'
  - id: sub
    op: playbook.run
    with: {path: child.yaml}
`)
	rep := runWith(t, p, path, nil)
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s: %+v", rep.Status, rep.Error)
	}
	spans := exp.GetSpans()
	want := `run tree
  step fan
    item 0
      attempt 1
    item 1
      attempt 1
    item 2
      attempt 1
  step flaky
    attempt 1
    attempt 2
  step sub
    attempt 1
      run child
        step inner
          attempt 1
`
	if diff := cmp.Diff(want, tree(spans)); diff != "" {
		t.Errorf("span tree (-want +got):\n%s", diff)
	}
	root := byName(spans, "run tree")[0]
	for k, v := range map[string]any{"arsenal.run.id": rep.RunID, "arsenal.playbook": "tree", "arsenal.trigger": "cli", "arsenal.roles": []string{"admin"}, "arsenal.status": "succeeded"} {
		if diff := cmp.Diff(v, attr(root, k)); diff != "" {
			t.Errorf("run span %s (-want +got):\n%s", k, diff)
		}
	}
	flaky := byName(spans, "step flaky")[0]
	if attr(flaky, "arsenal.attempts") != int64(2) || attr(flaky, "arsenal.status") != "succeeded" || attr(flaky, "arsenal.op") != "test.flaky" {
		t.Errorf("step span attributes: %v", flaky.Attributes)
	}
	for _, a := range byName(spans, "attempt 1") {
		if attr(a, "arsenal.step.id") == "flaky" && (attr(a, "error.type") != "execution" || a.Status.Description == "") {
			t.Errorf("the failed attempt's span: %v %v", a.Attributes, a.Status)
		}
	}
	if sub := byName(spans, "run child")[0]; attr(sub, "arsenal.parent_run.id") != rep.RunID || attr(sub, "arsenal.parent_step") != "sub" {
		t.Errorf("sub-run span: %v", sub.Attributes)
	}
	if n := attr(byName(spans, "step fan")[0], "arsenal.items"); n != int64(3) {
		t.Errorf("fan-out step items = %v", n)
	}
}

// TestFailedStepSpan: a failed step's span has error status and class.
func TestFailedStepSpan(t *testing.T) {
	p, exp := memProvider(t, telemetry.Config{})
	path := writeFile(t, t.TempDir(), "f.yaml", "version: 1\nname: f\nsteps:\n  - {id: boom, op: control.fail, with: {message: broken}}\n")
	runWith(t, p, path, nil)
	s := byName(exp.GetSpans(), "step boom")[0]
	if attr(s, "arsenal.status") != "failed" || attr(s, "error.type") != "execution" || !strings.Contains(s.Status.Description, "broken") {
		t.Errorf("failed step span: %v, status %v", s.Attributes, s.Status)
	}
	r := byName(exp.GetSpans(), "run f")[0]
	if attr(r, "arsenal.status") != "failed" || r.Status.Code.String() != "Error" {
		t.Errorf("failed run span: %v, status %v", r.Attributes, r.Status)
	}
}

// TestItemSampling: beyond ItemSpans items, only a sample get spans, and
// the step says how many did.
func TestItemSampling(t *testing.T) {
	p, exp := memProvider(t, telemetry.Config{ItemSpans: 5})
	var list []string
	for i := range 50 {
		list = append(list, fmt.Sprint(i))
	}
	path := writeFile(t, t.TempDir(), "s.yaml", "version: 1\nname: s\nsteps:\n  - {id: fan, op: control.noop, foreach: '["+strings.Join(list, ", ")+"]', concurrency: 8}\n")
	runWith(t, p, path, nil)
	spans := exp.GetSpans()
	var items []int
	for _, s := range spans {
		if strings.HasPrefix(s.Name, "item ") {
			items = append(items, int(attr(s, "arsenal.item.index").(int64)))
		}
	}
	slices.Sort(items)
	if diff := cmp.Diff([]int{0, 1, 2, 3, 4, 5, 15, 25, 35, 45}, items); diff != "" {
		t.Errorf("traced items (-want +got):\n%s", diff)
	}
	if n := attr(byName(spans, "step fan")[0], "arsenal.items_traced"); n != int64(10) {
		t.Errorf("items_traced = %v, want 10", n)
	}
	if n := len(byName(spans, "attempt 1")); n != 10 {
		t.Errorf("%d attempt spans; untraced items must make none", n)
	}
}

// TestAttributesMasked puts a secret input into params, an error, an
// HTTP URL and a step name; no span attribute, status or event holds it.
func TestAttributesMasked(t *testing.T) {
	const secret = "s3cr3t-t0ken-value"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) }))
	defer srv.Close()
	p, exp := memProvider(t, telemetry.Config{})
	path := writeFile(t, t.TempDir(), "m.yaml", `version: 1
name: m
inputs:
  token: {type: string, secret: true}
  url: {type: string}
steps:
  - id: get
    name: "call with ${{ inputs.token }}"
    op: http.request
    with: {url: "${{ inputs.url }}?key=${{ inputs.token }}", expect_status: [200]}
    continue_on_error: true
  - id: flaky
    op: test.flaky
    with: {note: "${{ inputs.token }}"}
    retry: {attempts: 2}
  - id: fail
    op: control.fail
    with: {message: "bad token ${{ inputs.token }}"}
`)
	rep := runWith(t, p, path, map[string]any{"token": secret, "url": srv.URL})
	if rep.Status != report.StatusFailed {
		t.Fatalf("run %s", rep.Status)
	}
	spans := exp.GetSpans()
	if len(byName(spans, "HTTP GET")) != 1 {
		t.Fatalf("no HTTP client span in\n%s", tree(spans))
	}
	seen := 0
	for _, s := range spans {
		texts := []string{s.Name, s.Status.Description}
		for _, a := range s.Attributes {
			texts = append(texts, a.Value.Emit())
		}
		for _, e := range s.Events {
			texts = append(texts, e.Name)
			for _, a := range e.Attributes {
				texts = append(texts, a.Value.Emit())
			}
		}
		for _, txt := range texts {
			if strings.Contains(txt, secret) {
				t.Errorf("span %q holds the secret: %q", s.Name, txt)
			}
			if strings.Contains(txt, "***") {
				seen++
			}
		}
	}
	if seen < 4 {
		t.Errorf("only %d masked values in the spans; the test does not reach the attributes it means to", seen)
	}
}

// TestTraceparentToLoopbackServer: http.request sends the traceparent of
// its client span to a loopback server, and the server middleware (as
// serve uses it) continues the trace under that span.
func TestTraceparentToLoopbackServer(t *testing.T) {
	p, exp := memProvider(t, telemetry.Config{})
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		telemetry.SetRoute(r.Context(), r.Method, r.URL.Path) // each path is a route of this server
		mu.Lock()
		got = append(got, r.Header.Get("traceparent"))
		mu.Unlock()
		io.WriteString(w, "ok")
	})))
	defer srv.Close()
	path := writeFile(t, t.TempDir(), "h.yaml", `version: 1
name: h
inputs:
  url: {type: string}
steps:
  - {id: get, op: http.request, with: {url: "${{ inputs.url }}/healthz"}}
  - {id: health, op: cluster.health, with: {nodes: [{name: a, url: "${{ inputs.url }}/status"}]}}
`)
	rep := runWith(t, p, path, map[string]any{"url": srv.URL})
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s: %+v", rep.Status, rep.Error)
	}
	p.Flush(context.Background())
	spans := exp.GetSpans()
	root := byName(spans, "run h")[0]
	traceID := root.SpanContext.TraceID().String()
	if len(got) != 2 {
		t.Fatalf("the server got %d requests", len(got))
	}
	clients := byName(spans, "HTTP GET")
	servers := append(byName(spans, "HTTP GET /healthz"), byName(spans, "HTTP GET /status")...)
	if len(clients) != 2 || len(servers) != 2 {
		t.Fatalf("client spans %d, server spans %d:\n%s", len(clients), len(servers), tree(spans))
	}
	for i, tp := range got {
		parts := strings.Split(tp, "-")
		if len(parts) != 4 || parts[1] != traceID {
			t.Errorf("request %d: traceparent %q; want the run's trace %s", i, tp, traceID)
			continue
		}
		var client *tracetest.SpanStub
		for j := range clients {
			if clients[j].SpanContext.SpanID().String() == parts[2] {
				client = &clients[j]
			}
		}
		if client == nil {
			t.Errorf("request %d: traceparent's parent %s is no client span", i, parts[2])
		}
	}
	for _, s := range servers {
		if s.SpanContext.TraceID().String() != traceID || s.Parent.SpanID() != findParentClient(clients, s) {
			t.Errorf("server span %s is not under a client span of the run's trace", s.Name)
		}
	}
	want := `run h
  step get
    attempt 1
      HTTP GET
        HTTP GET /healthz
  step health
    attempt 1
      HTTP GET
        HTTP GET /status
`
	if diff := cmp.Diff(want, tree(spans)); diff != "" {
		t.Errorf("span tree (-want +got):\n%s", diff)
	}
}

func findParentClient(clients []tracetest.SpanStub, s tracetest.SpanStub) (id [8]byte) {
	for _, c := range clients {
		if c.SpanContext.SpanID() == s.Parent.SpanID() {
			return c.SpanContext.SpanID()
		}
	}
	return id
}

// blackhole accepts connections and never answers: a collector that hangs.
func blackhole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "http://" + ln.Addr().String()
}

// TestUnreachableCollectorIsBounded exports to a collector that accepts
// and never answers, and to a port nobody listens on: the run succeeds,
// and its end waits at most about the flush timeout.
func TestUnreachableCollectorIsBounded(t *testing.T) {
	const flush = 500 * time.Millisecond
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + closed.Addr().String()
	closed.Close()
	path := writeFile(t, t.TempDir(), "u.yaml", "version: 1\nname: u\nsteps:\n  - {id: a, op: control.noop}\n  - {id: b, op: control.noop}\n")
	for name, endpoint := range map[string]string{"hangs": blackhole(t), "refused": refused} {
		t.Run(name, func(t *testing.T) {
			p, err := telemetry.New(telemetry.Config{Endpoint: endpoint, FlushTimeout: flush})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			rep := runWith(t, p, path, nil)
			took := time.Since(start)
			t.Logf("run with the collector %s took %s", name, took)
			if rep.Status != report.StatusSucceeded {
				t.Errorf("run %s: %+v", rep.Status, rep.Error)
			}
			// Generous: the bound is the flush timeout, plus the run itself.
			if took > flush+3*time.Second {
				t.Errorf("the run took %s with an unreachable collector; the flush timeout is %s", took, flush)
			}
			start = time.Now()
			p.Shutdown(context.Background())
			if took := time.Since(start); took > flush+3*time.Second {
				t.Errorf("shutdown took %s; the flush timeout is %s", took, flush)
			}
		})
	}
}

// TestOTLPExportToLoopbackReceiver exports over OTLP/HTTP, configured by
// the standard variables, to a receiver that decodes the protobuf payload.
func TestOTLPExportToLoopbackReceiver(t *testing.T) {
	var mu sync.Mutex
	var reqs []*coltracepb.ExportTraceServiceRequest
	var paths, types []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(body, &req)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		reqs, paths, types = append(reqs, &req), append(paths, r.URL.Path), append(types, r.Header.Get("Content-Type"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Write(b)
	}))
	defer srv.Close()
	env := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": srv.URL,
		"OTEL_SERVICE_NAME":           "ops-runner",
		"OTEL_RESOURCE_ATTRIBUTES":    "deployment.environment=test,team=sre%20core",
	}
	cfg := telemetry.ConfigFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	p, err := telemetry.New(cfg)
	if err != nil || p == nil {
		t.Fatalf("New: %v, %v", p, err)
	}
	defer p.Shutdown(context.Background())
	path := writeFile(t, t.TempDir(), "o.yaml", "version: 1\nname: otlp\nsteps:\n  - {id: a, op: control.noop}\n")
	runWith(t, p, path, nil)
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) == 0 {
		t.Fatal("the receiver got nothing")
	}
	if paths[0] != "/v1/traces" || types[0] != "application/x-protobuf" {
		t.Errorf("posted to %s as %s; want /v1/traces, application/x-protobuf", paths[0], types[0])
	}
	names := map[string]bool{}
	res := map[string]string{}
	for _, req := range reqs {
		for _, rs := range req.ResourceSpans {
			for _, kv := range rs.Resource.Attributes {
				res[kv.Key] = kv.Value.GetStringValue()
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					names[s.Name] = true
				}
			}
		}
	}
	for _, n := range []string{"run otlp", "step a", "attempt 1"} {
		if !names[n] {
			t.Errorf("no span %q in the export: %v", n, names)
		}
	}
	if diff := cmp.Diff(map[string]string{"service.name": "ops-runner", "deployment.environment": "test", "team": "sre core"}, res); diff != "" {
		t.Errorf("resource (-want +got):\n%s", diff)
	}
}

func TestConfig(t *testing.T) {
	if p, err := telemetry.New(telemetry.Config{}); p != nil || err != nil {
		t.Errorf("no endpoint: %v, %v; want tracing off", p, err)
	}
	if p, err := telemetry.New(telemetry.Config{Endpoint: "http://127.0.0.1:4318", Disabled: true}); p != nil || err != nil {
		t.Errorf("OTEL_SDK_DISABLED: %v, %v; want tracing off", p, err)
	}
	for _, c := range []struct {
		cfg  telemetry.Config
		want string
	}{
		{telemetry.Config{Endpoint: "127.0.0.1:4318"}, "want an http:// or https:// URL"},
		{telemetry.Config{Endpoint: "x:4317", Protocol: "grpc"}, "gRPC port"},
		{telemetry.Config{Endpoint: "http://x:4318", Protocol: "thrift"}, `OTLP protocol "thrift"`},
		{telemetry.Config{Endpoint: "http://x:4318", Headers: "novalue"}, `OTEL_EXPORTER_OTLP_HEADERS: entry 1 is not key=value`},
		{telemetry.Config{Endpoint: "http://x", ResourceAttributes: "=x,a"}, "OTEL_RESOURCE_ATTRIBUTES"},
	} {
		if _, err := telemetry.New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want %q", c.cfg, err, c.want)
		}
	}
	// A malformed header is named by its position and name, never shown
	// with its value, which is likely a credential.
	for headers, want := range map[string]string{
		"Authorization: Bearer SEKRIT123": "OTEL_EXPORTER_OTLP_HEADERS: entry 1 (Authorization) is not key=value",
		"a=b, SEKRIT123 ,c=d":             "OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not key=value",
		"x-key=1,Bearer SEKRIT123:abc":    "OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not key=value",
	} {
		_, err := telemetry.New(telemetry.Config{Endpoint: "http://x:4318", Headers: headers})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "SEKRIT") {
			t.Errorf("headers %q: %v; want %q without the value", headers, err, want)
		}
	}
	var nilP *telemetry.Provider
	ctx, r := nilP.StartRun(context.Background(), telemetry.RunInfo{})
	if r != nil || r.Options() != nil || ctx == nil || nilP.Handler(http.NotFoundHandler()) == nil {
		t.Error("a nil Provider must trace nothing and pass everything through")
	}
	r.End(ctx, nil)
	if err := nilP.Shutdown(context.Background()); !errors.Is(err, nil) {
		t.Error(err)
	}
}

// TestServeContinuesTheTrace: a run started by a request that came with a
// traceparent (as serve starts them, with the request's context) belongs
// to the caller's trace, under the server span.
func TestServeContinuesTheTrace(t *testing.T) {
	p, exp := memProvider(t, telemetry.Config{})
	svc, err := runs.NewService(runs.Config{Registry: testRegistry(t), Telemetry: p})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	mgr := runs.NewManager(svc, runs.Limits{})
	defer mgr.Shutdown(context.Background())
	path := writeFile(t, t.TempDir(), "s.yaml", "version: 1\nname: served\nsteps:\n  - {id: a, op: control.noop}\n")
	srv := httptest.NewServer(p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		telemetry.SetRoute(r.Context(), r.Method, "/api/v1/playbooks/{name}/runs")
		h, err := mgr.Start(r.Context(), runs.Request{Path: path, Caller: runs.Caller{Trigger: runs.TriggerAPI}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.Wait(r.Context())
		w.WriteHeader(http.StatusAccepted)
	})))
	defer srv.Close()
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/playbooks/served/runs?token=x", nil)
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	p.Flush(context.Background())
	spans := exp.GetSpans()
	server := byName(spans, "HTTP POST /api/v1/playbooks/{name}/runs")
	run := byName(spans, "run served")
	if len(server) != 1 || len(run) != 1 {
		t.Fatalf("spans:\n%s", tree(spans))
	}
	if server[0].SpanContext.TraceID().String() != traceID || server[0].Parent.SpanID().String() != parentID {
		t.Errorf("the server span does not continue the incoming trace: %s under %s", server[0].SpanContext.TraceID(), server[0].Parent.SpanID())
	}
	if run[0].Parent.SpanID() != server[0].SpanContext.SpanID() || attr(run[0], "arsenal.trigger") != "api" {
		t.Errorf("the run span is not the server span's child: parent %s, attributes %v", run[0].Parent.SpanID(), run[0].Attributes)
	}
	if attr(server[0], "http.response.status_code") != int64(http.StatusAccepted) || attr(server[0], "http.route") != "/api/v1/playbooks/{name}/runs" || strings.Contains(fmt.Sprint(server[0].Attributes), "token") {
		t.Errorf("server span attributes: %v", server[0].Attributes)
	}
}

// fixedResources is a store that holds the figures of one hour.
type fixedResources struct {
	stats []history.OpResources
	err   error
	since time.Time
}

func (f *fixedResources) ResourceStats(_ context.Context, since time.Time) ([]history.OpResources, error) {
	f.since = since
	return f.stats, f.err
}

// TestResourceCollector: /metrics shows each operation's CPU quantiles,
// process calls and peak memory of the last hour, read at each scrape; a
// store that fails makes the scrape fail rather than show nothing.
func TestResourceCollector(t *testing.T) {
	store := &fixedResources{stats: []history.OpResources{{Op: "shell.exec", CPUStats: history.CPUStats{Count: 7, P50MS: 210, P95MS: 1500, MaxRSSKB: 204800}}}}
	want := `# HELP arsenal_op_cpu_seconds CPU time (user plus system) of the operation calls that ran a local process in the last hour, by quantile.
# TYPE arsenal_op_cpu_seconds gauge
arsenal_op_cpu_seconds{op="shell.exec",quantile="0.5"} 0.21
arsenal_op_cpu_seconds{op="shell.exec",quantile="0.95"} 1.5
# HELP arsenal_op_max_rss_bytes Largest peak resident set of the operation's processes in the last hour.
# TYPE arsenal_op_max_rss_bytes gauge
arsenal_op_max_rss_bytes{op="shell.exec"} 2.097152e+08
# HELP arsenal_op_process_calls Operation calls in the last hour that ran a local process and reported its resources.
# TYPE arsenal_op_process_calls gauge
arsenal_op_process_calls{op="shell.exec"} 7
`
	c := telemetry.ResourceCollector(store)
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if ago := time.Since(store.since); ago < 59*time.Minute || ago > 61*time.Minute {
		t.Errorf("read the figures since %s ago, want an hour", ago)
	}
	store.err = errors.New("database is locked")
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	if _, err := reg.Gather(); err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Errorf("a store that fails: %v", err)
	}
}

// TestURLsRedactedInSpans: a token-like query parameter is masked in the
// client span's url.full and in the attempt span's params, as the report
// masks it, and a secret with characters a URL escapes (here one split by
// a '#' into path and fragment) is masked in url.full.
func TestURLsRedactedInSpans(t *testing.T) {
	const token, secret = "LITERALTOKEN123", "sec ret#1"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	p, exp := memProvider(t, telemetry.Config{})
	path := writeFile(t, t.TempDir(), "u.yaml", `version: 1
name: u
inputs:
  pw: {type: string, secret: true}
  url: {type: string}
steps:
  - {id: query, op: http.request, with: {url: "${{ inputs.url }}/x?access_token=`+token+`&page=2"}}
  - {id: path, op: http.request, with: {url: "${{ inputs.url }}/${{ inputs.pw }}"}}
`)
	rep := runWith(t, p, path, map[string]any{"pw": secret, "url": srv.URL})
	if rep.Status != report.StatusSucceeded {
		t.Fatalf("run %s: %+v", rep.Status, rep.Error)
	}
	spans := exp.GetSpans()
	var fulls []string
	for _, s := range byName(spans, "HTTP GET") {
		fulls = append(fulls, fmt.Sprint(attr(s, "url.full")))
	}
	slices.Sort(fulls)
	want := []string{srv.URL + "/***", srv.URL + "/x?access_token=***&page=2"}
	if diff := cmp.Diff(want, fulls); diff != "" {
		t.Errorf("url.full (-want +got):\n%s", diff)
	}
	for _, s := range spans {
		texts := []string{s.Name, s.Status.Description}
		for _, a := range s.Attributes {
			texts = append(texts, a.Value.Emit())
		}
		for _, txt := range texts {
			for _, leak := range []string{token, "sec ret", "sec%20ret", "sec+ret", "ret#1", "ret%231"} {
				if strings.Contains(txt, leak) {
					t.Errorf("span %q holds %q: %q", s.Name, leak, txt)
				}
			}
		}
	}
	var params []string
	for _, s := range byName(spans, "attempt 1") {
		if attr(s, "arsenal.step.id") == "query" {
			params = append(params, fmt.Sprint(attr(s, "arsenal.params")))
		}
	}
	if len(params) != 1 || !strings.Contains(params[0], "access_token=***") {
		t.Errorf("params of the query step: %q; want access_token=***", params)
	}
}

// TestRefusedExportIsTold: spans a collector refuses are told to OnError
// (once, not per batch), where they were dropped without a word; a base
// URL already ending in /v1/traces is posted to as it is, not to
// /v1/traces/v1/traces.
func TestRefusedExportIsTold(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		http.Error(w, "no such route", http.StatusNotFound)
	}))
	defer srv.Close()
	var told []string
	p, err := telemetry.New(telemetry.Config{Endpoint: srv.URL + "/v1/traces/", FlushTimeout: 2 * time.Second, OnError: func(err error) {
		mu.Lock()
		defer mu.Unlock()
		told = append(told, err.Error())
	}})
	if err != nil || p == nil {
		t.Fatalf("New: %v, %v", p, err)
	}
	path := writeFile(t, t.TempDir(), "o.yaml", "version: 1\nname: otlp\nsteps:\n  - {id: a, op: control.noop}\n")
	runWith(t, p, path, nil)
	runWith(t, p, path, nil)
	p.Shutdown(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if len(paths) == 0 || paths[0] != "/v1/traces" {
		t.Errorf("posted to %v; want /v1/traces", paths)
	}
	if len(told) != 1 || !strings.Contains(told[0], "spans not exported") || !strings.Contains(told[0], "404") {
		t.Errorf("told %q; want one notice of the refused spans with the collector's status", told)
	}
}
