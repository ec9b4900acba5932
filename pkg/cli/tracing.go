package cli

import (
	"flag"
	"fmt"

	"github.com/arsenal-run/arsenal-run/pkg/telemetry"
)

// traceFlags are the tracing flags of the commands that run playbooks.
type traceFlags struct {
	endpoint string
	items    int
}

func (t *traceFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&t.endpoint, "trace-endpoint", "", "export OpenTelemetry spans over OTLP to `URL`, like http://127.0.0.1:4318 (default $OTEL_EXPORTER_OTLP_ENDPOINT, with $OTEL_EXPORTER_OTLP_PROTOCOL; off without either)")
	fs.IntVar(&t.items, "trace-items", telemetry.DefaultItemSpans, "give the first `N` fan-out items their own spans, then only a sample")
}

// problem says what is wrong with the flags themselves, "" if nothing.
func (t *traceFlags) problem() string {
	if t.items < 0 {
		return fmt.Sprintf("--trace-items must be 0 or more (the default is %d), not %d", telemetry.DefaultItemSpans, t.items)
	}
	return ""
}

// provider builds the tracing of a command from its flags and the OTEL_*
// variables. A bad --trace-endpoint is a usage error (ok false); bad
// variables only turn tracing off, with a warning, since they were not
// given to this command. Spans a collector did not take are told to warn.
// A nil Provider traces nothing.
func (t *traceFlags) provider(e *env, warn func(string, ...any)) (*telemetry.Provider, string, bool) {
	if p := t.problem(); p != "" {
		return nil, p, false
	}
	cfg := telemetry.ConfigFromEnv(func(k string) (string, bool) {
		v := e.getenv(k)
		return v, v != ""
	})
	cfg.ItemSpans = t.items
	cfg.OnError = func(err error) {
		warn("tracing: %v; check --trace-endpoint or $OTEL_EXPORTER_OTLP_ENDPOINT (a collector's base URL, like http://127.0.0.1:4318) and that the collector is up", err)
	}
	if t.endpoint != "" {
		cfg.Endpoint, cfg.TracesEndpoint, cfg.Disabled = t.endpoint, "", false
	}
	p, err := telemetry.New(cfg)
	if err == nil {
		return p, "", true
	}
	if t.endpoint != "" {
		return nil, "--trace-endpoint: " + err.Error(), false
	}
	e.errorf("tracing is off: %v", err)
	return nil, "", true
}
