// Package telemetry traces runs with OpenTelemetry and exports the spans
// over OTLP, by HTTP or gRPC. It is off unless configured: by the standard variables
// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
// OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_EXPORTER_OTLP_HEADERS,
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_SDK_DISABLED) or by a
// front end's --trace-endpoint.
//
// A front end builds one Provider at start (New), hands it to the run
// service, and shuts it down at exit. For each run the service calls
// StartRun; the returned Run adds the engine options that make the spans:
//
//	run (playbook, run id, trigger, roles)
//	└─ step (id, op, status, attempts, error class, cached)
//	   ├─ item (fan-out index; the first ItemSpans items, then a sample)
//	   │  └─ attempt (number, error, resources of the process)
//	   │     ├─ HTTP GET (http.request, cluster.health: client spans)
//	   │     └─ run (a sub-playbook started by playbook.run)
//	   └─ attempt ...
//
// Exporting never fails or holds a run: spans are batched in the
// background, and the flush at the end of each run and at shutdown waits
// at most FlushTimeout, whatever the collector does.
package telemetry

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Defaults of a Config.
const (
	DefaultFlushTimeout = 5 * time.Second
	DefaultItemSpans    = 100
	DefaultServiceName  = "arsenal-run"
)

// ScopeName is the instrumentation scope of the run spans.
const ScopeName = "github.com/arsenal-run/arsenal-run/pkg/telemetry"

// Config says whether and where spans are exported.
type Config struct {
	// Endpoint is the collector's OTLP base URL, like
	// http://127.0.0.1:4318; over HTTP spans are posted to
	// Endpoint/v1/traces, over gRPC (http://127.0.0.1:4317) sent to it.
	Endpoint string
	// TracesEndpoint, when set, is the full URL spans are sent to.
	TracesEndpoint string
	// Protocol is http/protobuf (the default), http/json or grpc.
	Protocol string
	// Headers are sent with each export, as OTEL_EXPORTER_OTLP_HEADERS
	// writes them: key=value pairs separated by commas, URL-encoded.
	Headers     string
	ServiceName string
	// ResourceAttributes are key=value pairs separated by commas, as
	// OTEL_RESOURCE_ATTRIBUTES writes them.
	ResourceAttributes string
	// FlushTimeout bounds each flush (at the end of a run) and the
	// shutdown, and each export attempt.
	FlushTimeout time.Duration
	// ItemSpans is how many fan-out items get their own spans before the
	// rest are sampled (about ItemSpans more, spread over them).
	ItemSpans int
	// Disabled turns tracing off whatever else is set (OTEL_SDK_DISABLED).
	Disabled bool
	// OnError, when set, is told that spans could not be exported: the
	// first failure, then at most one a minute with how many failed
	// since. Exporting still never fails a run; without it, spans a
	// collector refused were dropped without a word.
	OnError func(error)
}

// ConfigFromEnv reads the standard OpenTelemetry variables through lookup
// (os.LookupEnv, or a test's map).
func ConfigFromEnv(lookup func(string) (string, bool)) Config {
	get := func(k string) string {
		v, _ := lookup(k)
		return strings.TrimSpace(v)
	}
	c := Config{
		Endpoint:           get("OTEL_EXPORTER_OTLP_ENDPOINT"),
		TracesEndpoint:     get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
		Protocol:           get("OTEL_EXPORTER_OTLP_PROTOCOL"),
		Headers:            get("OTEL_EXPORTER_OTLP_HEADERS"),
		ServiceName:        get("OTEL_SERVICE_NAME"),
		ResourceAttributes: get("OTEL_RESOURCE_ATTRIBUTES"),
		Disabled:           strings.EqualFold(get("OTEL_SDK_DISABLED"), "true"),
	}
	if p := get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"); p != "" {
		c.Protocol = p
	}
	if h := get("OTEL_EXPORTER_OTLP_TRACES_HEADERS"); h != "" {
		c.Headers = h
	}
	return c
}

// Enabled reports whether the config asks for tracing.
func (c Config) Enabled() bool {
	return !c.Disabled && (c.Endpoint != "" || c.TracesEndpoint != "")
}

func (c Config) withDefaults() Config {
	if c.FlushTimeout <= 0 {
		c.FlushTimeout = DefaultFlushTimeout
	}
	if c.ItemSpans <= 0 {
		c.ItemSpans = DefaultItemSpans
	}
	if c.ServiceName == "" {
		c.ServiceName = DefaultServiceName
	}
	return c
}

// tracesURL is where spans are posted.
func (c Config) tracesURL() (string, error) {
	raw, suffix := c.TracesEndpoint, ""
	if raw == "" {
		raw, suffix = c.Endpoint, "/v1/traces"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("trace endpoint %q: want an http:// or https:// URL, like http://127.0.0.1:4318", raw)
	}
	if suffix != "" {
		// A base URL gets the path; one already written with it (the
		// full URL given as the base) keeps it, rather than posting to
		// /v1/traces/v1/traces, which a collector answers 404.
		u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), suffix) + suffix
	}
	return u.String(), nil
}

// Provider makes and exports the spans of every run of a front end. It is
// safe for concurrent use; a nil *Provider traces nothing.
type Provider struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	cfg    Config
}

// New returns a Provider exporting over OTLP (HTTP or gRPC) as cfg says, or nil
// when cfg does not enable tracing. An error means the config is wrong;
// a collector that cannot be reached is never an error here.
func New(cfg Config) (*Provider, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	cfg = cfg.withDefaults()
	headers, err := parsePairs(cfg.Headers, "OTEL_EXPORTER_OTLP_HEADERS")
	if err != nil {
		return nil, err
	}
	var exp sdktrace.SpanExporter
	switch strings.ToLower(cfg.Protocol) {
	case "", "http/protobuf":
		exp, err = httpExporter(cfg, otlptracehttp.EncodingProtobuf, headers)
	case "http/json":
		exp, err = httpExporter(cfg, otlptracehttp.EncodingJSON, headers)
	case "grpc":
		exp, err = grpcExporter(cfg, headers)
	default:
		return nil, fmt.Errorf("OTLP protocol %q: use http/protobuf, http/json or grpc", cfg.Protocol)
	}
	if err != nil {
		return nil, err
	}
	return NewWithExporter(exp, cfg)
}

// httpExporter exports over OTLP/HTTP to cfg's traces URL.
func httpExporter(cfg Config, enc otlptracehttp.Encoding, headers map[string]string) (sdktrace.SpanExporter, error) {
	endpoint, err := cfg.tracesURL()
	if err != nil {
		return nil, err
	}
	opts := []otlptracehttp.Option{
		otlptracehttp.WithEndpointURL(endpoint),
		otlptracehttp.WithEncoding(enc),
		otlptracehttp.WithTimeout(cfg.FlushTimeout),
		// A retry would outlast the flush; the next batch goes anyway.
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}),
	}
	if len(headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(headers))
	}
	exp, err := otlptracehttp.New(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("trace exporter: %w", err)
	}
	return exp, nil
}

// grpcExporter exports over OTLP/gRPC to the collector at cfg's endpoint
// (its traces endpoint when set): http:// means without TLS, as the
// OpenTelemetry variables say, https:// with it. The connection is made
// lazily, so a collector that is down fails exports, never the start.
func grpcExporter(cfg Config, headers map[string]string) (sdktrace.SpanExporter, error) {
	raw := cfg.TracesEndpoint
	if raw == "" {
		raw = cfg.Endpoint
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("trace endpoint %q: want an http:// or https:// URL of the collector's gRPC port, like http://127.0.0.1:4317", raw)
	}
	opts := []otlptracegrpc.Option{
		otlptracegrpc.WithEndpointURL(u.String()),
		otlptracegrpc.WithTimeout(cfg.FlushTimeout),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}),
	}
	if len(headers) > 0 {
		opts = append(opts, otlptracegrpc.WithHeaders(headers))
	}
	exp, err := otlptracegrpc.New(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("trace exporter: %w", err)
	}
	return exp, nil
}

// NewWithExporter returns a Provider that batches spans to exp: the OTLP
// exporter, or an in-memory one in tests and benchmarks. cfg's endpoint
// is not used.
func NewWithExporter(exp sdktrace.SpanExporter, cfg Config) (*Provider, error) {
	cfg = cfg.withDefaults()
	attrs, err := parsePairs(cfg.ResourceAttributes, "OTEL_RESOURCE_ATTRIBUTES")
	if err != nil {
		return nil, err
	}
	kvs := []attribute.KeyValue{attribute.String("service.name", cfg.ServiceName)}
	for k, v := range attrs {
		if k != "service.name" {
			kvs = append(kvs, attribute.String(k, v))
		}
	}
	res := resource.NewSchemaless(kvs...)
	if cfg.OnError != nil {
		exp = &reportingExporter{SpanExporter: exp, onError: cfg.OnError, every: time.Minute}
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithBatcher(exp, sdktrace.WithExportTimeout(cfg.FlushTimeout), sdktrace.WithBatchTimeout(time.Second)),
	)
	return &Provider{tp: tp, tracer: tp.Tracer(ScopeName), cfg: cfg}, nil
}

// parsePairs reads key=value,key=value with URL-encoded values.
func parsePairs(s, what string) (map[string]string, error) {
	out := map[string]string{}
	for i, kv := range strings.Split(s, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, badPair(what, i+1, kv)
		}
		if dv, err := url.PathUnescape(strings.TrimSpace(v)); err == nil {
			v = dv
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, nil
}

// badPair says which entry of a key=value list is malformed without
// quoting it: the headers hold credentials, and an entry written as
// "Authorization: Bearer …" would print one. It names the entry by its
// position and, when the text before its first ':' or '=' is a plain
// name, by that.
func badPair(what string, pos int, kv string) error {
	name := ""
	if j := strings.IndexAny(kv, ":="); j > 0 {
		if k := strings.TrimSpace(kv[:j]); plainName(k) {
			name = fmt.Sprintf(" (%s)", k)
		}
	}
	return fmt.Errorf("%s: entry %d%s is not key=value", what, pos, name)
}

// plainName reports whether s looks like a header or attribute name
// rather than a value: a short run of letters, digits, '-', '_' and '.'.
func plainName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// Tracer returns the tracer of the run spans; nil Provider: a no-op one.
func (p *Provider) Tracer() trace.Tracer {
	if p == nil {
		return noop.NewTracerProvider().Tracer(ScopeName)
	}
	return p.tracer
}

// FlushTimeout is the bound of a flush and of the shutdown.
func (p *Provider) FlushTimeout() time.Duration {
	if p == nil {
		return 0
	}
	return p.cfg.FlushTimeout
}

// Flush exports the spans that ended so far, waiting at most the flush
// timeout (and no longer than ctx allows). Spans it could not export in
// time are dropped, never retried into the next run.
func (p *Provider) Flush(ctx context.Context) error {
	if p == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.FlushTimeout)
	defer cancel()
	return p.tp.ForceFlush(ctx)
}

// Shutdown flushes and stops the exporter, waiting at most the flush
// timeout. The Provider makes no spans afterwards.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.FlushTimeout)
	defer cancel()
	return p.tp.Shutdown(ctx)
}
