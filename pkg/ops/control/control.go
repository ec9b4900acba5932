// Package control holds the control.* operations: the small building blocks
// of a playbook's own logic (log, set, assert, fail, sleep, noop).
package control

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Register adds the control.* operations to r. All but control.sleep are
// Immediate: they compute their answer from their params, and
// control.log writes to the run's log and its events, which the engine
// writes to from the step's goroutine anyway (an Observer must not
// block); none waits on anything.
func Register(r *ops.Registry) error {
	for _, d := range []struct {
		spec ops.Spec
		op   ops.Op
	}{
		{ops.Spec{
			Name:        "control.noop",
			Immediate:   true,
			Description: "Do nothing and succeed; a placeholder or a join point in the step graph.",
			Risk:        ops.RiskRead,
		}, ops.Func(noop)},
		{ops.Spec{
			Name:        "control.log",
			Immediate:   true,
			Description: "Write a message to the run's log.",
			Risk:        ops.RiskRead,
			Params: []ops.Param{
				{Name: "message", Type: ops.TypeString, Required: true, Description: "the text to log"},
				{Name: "level", Type: ops.TypeString, Default: "info", Enum: []any{"debug", "info", "warn", "error"}, Description: "log level"},
			},
			Output: []ops.Field{{Name: "message", Type: "string", Description: "the message as logged"}},
		}, ops.Func(logOp)},
		{ops.Spec{
			Name:        "control.set",
			Immediate:   true,
			Description: "Compute named values; the step's output is its interpolated with map, for later steps to read.",
			Risk:        ops.RiskRead,
			OpenParams:  true,
			Output:      []ops.Field{{Name: "*", Type: "any", Description: "each key of with, interpolated"}},
		}, ops.Func(set)},
		{ops.Spec{
			Name:        "control.assert",
			Immediate:   true,
			Description: "Fail the step unless a condition holds; use it to check a step's output.",
			Risk:        ops.RiskRead,
			Params: []ops.Param{
				{Name: "that", Type: ops.TypeBool, Required: true, Description: "the condition, usually ${{ expression }}"},
				{Name: "message", Type: ops.TypeString, Default: "assertion failed", Description: "the error message when the condition is false"},
			},
		}, ops.Func(assert)},
		{ops.Spec{
			Name:        "control.fail",
			Immediate:   true,
			Description: "Fail the step with a message, always.",
			Risk:        ops.RiskRead,
			Params: []ops.Param{
				{Name: "message", Type: ops.TypeString, Default: "failed by control.fail", Description: "the error message"},
			},
		}, ops.Func(fail)},
		{ops.Spec{
			Name:        "control.sleep",
			Description: "Wait for a duration; ends early, as cancelled, when the run is cancelled.",
			Risk:        ops.RiskRead,
			Params: []ops.Param{
				{Name: "duration", Type: ops.TypeDuration, Required: true, Max: ops.Bound(24 * 3600), Description: "how long to wait, e.g. 500ms or 2m"},
			},
			Output: []ops.Field{{Name: "slept", Type: "string", Description: "the duration waited"}},
		}, ops.Func(sleep)},
	} {
		if err := r.Register(d.spec, d.op); err != nil {
			return err
		}
	}
	return nil
}

var empty = map[string]any{}

func noop(context.Context, ops.Params) (map[string]any, error) { return empty, nil }

func logOp(ctx context.Context, p ops.Params) (map[string]any, error) {
	msg := p.String("message")
	lvl, err := zerolog.ParseLevel(p.String("level"))
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	call := ops.CallFrom(ctx)
	call.Log.WithLevel(lvl).Msg(msg)
	if call.Message != nil {
		call.Message(lvl.String(), msg)
	}
	return map[string]any{"message": msg}, nil
}

func set(_ context.Context, p ops.Params) (map[string]any, error) {
	return map[string]any(p), nil
}

func assert(_ context.Context, p ops.Params) (map[string]any, error) {
	if !p.Bool("that") {
		return nil, ops.WithClass(ops.ClassExecution, errors.New(p.String("message")))
	}
	return empty, nil
}

func fail(_ context.Context, p ops.Params) (map[string]any, error) {
	return nil, ops.WithClass(ops.ClassExecution, errors.New(p.String("message")))
}

func sleep(ctx context.Context, p ops.Params) (map[string]any, error) {
	d := p.Duration("duration")
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return map[string]any{"slept": d.String()}, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}
