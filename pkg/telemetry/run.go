package telemetry

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/telemetry/httptrace"
)

// RunInfo is what the run span records about a run.
type RunInfo struct {
	RunID    string
	Playbook string
	Trigger  string
	Roles    []string
	DryRun   bool
}

// Run traces one run and its sub-runs. Its engine options build the span
// tree from the run's events (runs and steps) and from middleware (items
// and attempts, which need the call's context so HTTP requests carry the
// right parent). It is safe for concurrent use.
type Run struct {
	p    *Provider
	root trace.Span
	id   string

	mu    sync.Mutex
	runs  map[string]runSpan // run id
	steps map[key]*stepSpan  // run id, step id
	calls map[key]trace.Span // run id, step[index]: the attempt running now
	ended bool
}

// stepSpan is a step's span and what its start event said, recorded on
// the span with the outcome when the step finishes.
type stepSpan struct {
	span              trace.Span
	op, section, name string
	items             int // a fan-out's item count, from step_started
}

// runSpan is a run's span and a context holding it, made once, for the
// steps' spans to start from.
type runSpan struct {
	span trace.Span
	ctx  context.Context
}

// StartRun starts a run's span: a child of the span in ctx (an API
// request's, continued from its traceparent), else a root. The returned
// context carries it. A nil Provider returns ctx and a nil Run, whose
// methods do nothing.
func (p *Provider) StartRun(ctx context.Context, info RunInfo) (context.Context, *Run) {
	if p == nil {
		return ctx, nil
	}
	ctx, span := p.tracer.Start(ctx, "run "+info.Playbook, trace.WithAttributes(
		attribute.String("arsenal.run.id", info.RunID),
		attribute.String("arsenal.playbook", info.Playbook),
		attribute.String("arsenal.trigger", info.Trigger),
		attribute.StringSlice("arsenal.roles", info.Roles),
		attribute.Bool("arsenal.dry_run", info.DryRun),
	))
	r := &Run{p: p, root: span, id: info.RunID, runs: map[string]runSpan{info.RunID: {span, trace.ContextWithSpan(context.Background(), span)}},
		steps: map[key]*stepSpan{}, calls: map[key]trace.Span{}}
	return ctx, r
}

// Options are the engine options that trace the run: an observer, a
// middleware around each call (item spans), and one around each attempt.
func (r *Run) Options() []engine.Option {
	if r == nil {
		return nil
	}
	return []engine.Option{
		engine.WithObserver(engine.ObserverFunc(r.event)),
		engine.WithMiddleware(r.callMiddleware),
		engine.WithAttemptMiddleware(r.attemptMiddleware),
	}
}

// End records the run's outcome on its span, ends it if the engine did not
// (a run refused before it started), and flushes the exporter, waiting at
// most the flush timeout.
func (r *Run) End(ctx context.Context, rep *report.Report) {
	if r == nil {
		return
	}
	r.mu.Lock()
	ended := r.ended
	r.ended = true
	r.mu.Unlock()
	if !ended && rep != nil {
		setOutcome(r.root, string(rep.Status), rep.Error)
		r.root.End()
	} else if !ended {
		r.root.End()
	}
	_ = r.p.Flush(ctx)
}

func setOutcome(span trace.Span, status string, e *report.Error) {
	if e == nil {
		span.SetAttributes(attribute.String("arsenal.status", status))
		return
	}
	span.SetAttributes(attribute.String("arsenal.status", status), attribute.String("error.type", e.Class))
	span.SetStatus(codes.Error, e.Message)
}

// key names a step, or a call ("step[index]"), of a run.
type key struct{ run, step string }

// event turns run and step events into spans. Event texts are masked by
// the engine already. Spans take the wall clock's time of the event.
func (r *Run) event(ev engine.Event) {
	switch ev.Kind {
	case engine.EventRunStarted:
		if ev.RunID == r.id {
			return
		}
		r.mu.Lock()
		parent := r.calls[key{ev.ParentRunID, ev.ParentStep}]
		if parent == nil {
			parent = r.runs[ev.ParentRunID].span
		}
		r.mu.Unlock()
		if parent == nil {
			parent = r.root
		}
		ctx, span := r.p.tracer.Start(trace.ContextWithSpan(context.Background(), parent), "run "+ev.Playbook, trace.WithAttributes(
			attribute.String("arsenal.run.id", ev.RunID),
			attribute.String("arsenal.playbook", ev.Playbook),
			attribute.String("arsenal.parent_run.id", ev.ParentRunID),
			attribute.String("arsenal.parent_step", ev.ParentStep),
		))
		r.mu.Lock()
		r.runs[ev.RunID] = runSpan{span, ctx}
		r.mu.Unlock()
	case engine.EventRunFinished:
		r.mu.Lock()
		span := r.runs[ev.RunID].span
		delete(r.runs, ev.RunID)
		root := ev.RunID == r.id
		if root {
			r.ended = true
		}
		r.mu.Unlock()
		if span == nil {
			return
		}
		var e *report.Error
		if ev.ErrClass != "" {
			e = &report.Error{Class: ev.ErrClass, Message: ev.Err}
		}
		setOutcome(span, ev.Status, e)
		span.End()
	case engine.EventStepStarted:
		r.mu.Lock()
		parent := r.runs[ev.RunID]
		r.mu.Unlock()
		if parent.span == nil {
			return
		}
		// Bare: the attributes come when it ends (attrPool).
		_, span := r.p.tracer.Start(parent.ctx, "step "+ev.Step)
		r.mu.Lock()
		r.steps[key{ev.RunID, ev.Step}] = &stepSpan{span: span, op: ev.Op, section: ev.Section, name: ev.Name, items: ev.Items}
		r.mu.Unlock()
	case engine.EventStepFinished:
		r.mu.Lock()
		s := r.steps[key{ev.RunID, ev.Step}]
		delete(r.steps, key{ev.RunID, ev.Step})
		r.mu.Unlock()
		if s == nil {
			return
		}
		buf := attrPool.Get().(*[]attribute.KeyValue)
		attrs := append(*buf, attribute.String("arsenal.step.id", ev.Step), attribute.String("arsenal.op", s.op),
			attribute.String("arsenal.section", s.section))
		if s.name != "" {
			attrs = append(attrs, attribute.String("arsenal.step.name", s.name))
		}
		if s.items > 0 {
			attrs = append(attrs, attribute.Int("arsenal.items", s.items))
		}
		attrs = append(attrs, attribute.String("arsenal.status", ev.Status), attribute.Int("arsenal.attempts", ev.Attempts))
		if ev.Reason != "" {
			attrs = append(attrs, attribute.String("arsenal.reason", ev.Reason))
		}
		if ev.Cached {
			attrs = append(attrs, attribute.Bool("arsenal.cached", true), attribute.Int64("arsenal.cache_age_ms", ev.CacheAgeMS))
		}
		if s.items > 0 {
			attrs = append(attrs, attribute.Int("arsenal.items_traced", tracedItems(s.items, r.p.cfg.ItemSpans)))
		}
		if ev.ErrClass != "" {
			attrs = append(attrs, attribute.String("error.type", ev.ErrClass))
		}
		setAttributes(s.span, buf, attrs)
		if ev.ErrClass != "" && (ev.Status == string(report.StatusFailed) || ev.Status == string(report.StatusDenied)) {
			s.span.SetStatus(codes.Error, ev.Err)
		}
		s.span.End()
	}
}

// attrPool holds the slices a span's attributes are gathered in before
// the one SetAttributes that copies them into the span. A step, item or
// attempt span starts bare and gets all of them when it ends: the SDK
// copies attributes at every call that sets them, trace.WithAttributes at
// start included. A run's span, one a run, keeps them at start.
var attrPool = sync.Pool{New: func() any { s := make([]attribute.KeyValue, 0, 12); return &s }}

// setAttributes sets attrs, gathered in buf from attrPool, on span and
// gives buf back.
func setAttributes(span trace.Span, buf *[]attribute.KeyValue, attrs []attribute.KeyValue) {
	span.SetAttributes(attrs...)
	*buf = attrs[:0]
	attrPool.Put(buf)
}

// sampled says whether fan-out item i of n gets spans: the first limit
// items do, and beyond them one in every n/limit, so a step makes about
// 2×limit item spans however large it is.
func sampled(i, n, limit int) bool {
	if i < limit {
		return true
	}
	stride := max(n/limit, 1)
	return (i-limit)%stride == 0
}

func tracedItems(n, limit int) int {
	if n <= limit {
		return n
	}
	stride := max(n/limit, 1)
	return limit + (n-limit+stride-1)/stride
}

// callMiddleware puts the step's span in the call's context, and for a
// fan-out item starts the item's span (or, for an item beyond the sample,
// marks the context so that nothing below makes spans).
func (r *Run) callMiddleware(next engine.Handler) engine.Handler {
	return func(ctx context.Context, c *engine.Call) (map[string]any, error) {
		if c.Index < 0 {
			return next(ctx, c) // the attempt's span hangs from the step's
		}
		r.mu.Lock()
		s := r.steps[key{c.RunID, c.Step.ID}]
		r.mu.Unlock()
		if s != nil {
			ctx = trace.ContextWithSpan(ctx, s.span)
			if !sampled(c.Index, s.items, r.p.cfg.ItemSpans) {
				return next(httptrace.WithoutSpans(ctx), c)
			}
		}
		ctx, span := r.p.tracer.Start(ctx, "item "+strconv.Itoa(c.Index))
		out, err := next(ctx, c)
		status := report.StatusSucceeded
		buf := attrPool.Get().(*[]attribute.KeyValue)
		attrs := append(*buf, attribute.String("arsenal.step.id", c.Step.ID), attribute.Int("arsenal.item.index", c.Index))
		if err != nil {
			status = statusOf(err)
			attrs = append(attrs, attribute.String("error.type", string(ops.ClassOf(err))))
			span.SetStatus(codes.Error, c.MaskString(err.Error()))
		}
		attrs = append(attrs, attribute.String("arsenal.status", string(status)), attribute.Int("arsenal.attempts", c.Tries()))
		if c.Cached {
			attrs = append(attrs, attribute.Bool("arsenal.cached", true), attribute.Int64("arsenal.cache_age_ms", c.CacheAge.Milliseconds()))
		}
		setAttributes(span, buf, attrs)
		span.End()
		return out, err
	}
}

func statusOf(err error) report.Status {
	switch ops.ClassOf(err) {
	case ops.ClassAuthorization:
		return report.StatusDenied
	case ops.ClassCancelled, ops.ClassDeclined:
		return report.StatusCancelled
	}
	return report.StatusFailed
}

// maxParamsAttr bounds the params attribute of an attempt span.
const maxParamsAttr = 1024

// attemptMiddleware wraps each try in a span that sub-runs and HTTP
// requests of the op hang from, with the op's masked params, its error and
// the resources of its process.
func (r *Run) attemptMiddleware(next engine.Handler) engine.Handler {
	return func(ctx context.Context, c *engine.Call) (map[string]any, error) {
		if httptrace.Quiet(ctx) {
			return next(ctx, c)
		}
		n := c.Tries() + 1
		if c.Index < 0 {
			r.mu.Lock()
			s := r.steps[key{c.RunID, c.Step.ID}]
			r.mu.Unlock()
			if s != nil {
				ctx = trace.ContextWithSpan(ctx, s.span)
			}
		}
		ctx, span := r.p.tracer.Start(ctx, attemptName(n))
		k := key{c.RunID, callStep(c)}
		r.mu.Lock()
		r.calls[k] = span
		r.mu.Unlock()
		out, err := next(httptrace.WithMask(ctx, c), c)
		r.mu.Lock()
		delete(r.calls, k)
		r.mu.Unlock()
		// An in-process op has its wall time, the span's duration; a
		// process adds what it used. One SetAttributes, as above.
		buf := attrPool.Get().(*[]attribute.KeyValue)
		attrs := append(*buf, attribute.String("arsenal.step.id", c.Step.ID), attribute.Int("arsenal.attempt", n),
			attribute.String("arsenal.params", maskedParams(c)))
		if err != nil {
			attrs = append(attrs, attribute.String("error.type", string(ops.ClassOf(err))))
			span.SetStatus(codes.Error, c.MaskString(err.Error()))
		}
		if res, ok := ops.ResourcesOf(out); ok {
			attrs = append(attrs, attribute.Int64("arsenal.cpu_user_ms", res.CPUUserMS),
				attribute.Int64("arsenal.cpu_sys_ms", res.CPUSysMS), attribute.Int64("arsenal.max_rss_kb", res.MaxRSSKB))
		}
		setAttributes(span, buf, attrs)
		span.End()
		return out, err
	}
}

// attemptName avoids a string allocation for the usual first attempts.
func attemptName(n int) string {
	if n <= len(attemptNames) {
		return attemptNames[n-1]
	}
	return "attempt " + strconv.Itoa(n)
}

var attemptNames = []string{"attempt 1", "attempt 2", "attempt 3", "attempt 4", "attempt 5"}

func callStep(c *engine.Call) string {
	return c.ItemPath()
}

// maskedParams is the call's params as JSON, with the run's secrets and
// the values of secret params masked, cut to maxParamsAttr bytes.
func maskedParams(c *engine.Call) string {
	if len(c.Params) == 0 {
		return "{}"
	}
	b, err := json.Marshal(c.MaskedParams())
	if err != nil {
		return ""
	}
	if len(b) > maxParamsAttr {
		return strings.ToValidUTF8(string(b[:maxParamsAttr]), "") + "…"
	}
	return string(b)
}
