package telemetry

import (
	"context"
	"fmt"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// reportingExporter tells its onError about the exports that failed: the
// first, then at most one each period, with how many failed meanwhile, so
// that a collector that is down all night writes a line a minute rather
// than one a second, or none.
type reportingExporter struct {
	sdktrace.SpanExporter
	onError func(error)
	every   time.Duration

	mu     sync.Mutex
	last   time.Time // when a failure was last told; zero: never
	missed int       // failures since, not told
}

func (r *reportingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := r.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		r.failed(fmt.Errorf("%d spans not exported: %w", len(spans), err), time.Now())
	}
	return err
}

// failed tells err now, or counts it until the period is over.
func (r *reportingExporter) failed(err error, now time.Time) {
	r.mu.Lock()
	if !r.last.IsZero() && now.Sub(r.last) < r.every {
		r.missed++
		r.mu.Unlock()
		return
	}
	missed := r.missed
	r.last, r.missed = now, 0
	r.mu.Unlock()
	if missed > 0 {
		err = fmt.Errorf("%w (and %d more exports failed since the last notice)", err, missed)
	}
	r.onError(err)
}
