package control

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

func registry(t *testing.T) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := Register(r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestControlOps(t *testing.T) {
	r := registry(t)
	cases := []struct {
		op     string
		params map[string]any
		want   map[string]any
		class  ops.Class
	}{
		{"control.noop", nil, map[string]any{}, ""},
		{"control.log", map[string]any{"message": "hi"}, map[string]any{"message": "hi"}, ""},
		{"control.set", map[string]any{"a": 1, "b": []any{"x"}}, map[string]any{"a": 1, "b": []any{"x"}}, ""},
		{"control.assert", map[string]any{"that": true}, map[string]any{}, ""},
		{"control.assert", map[string]any{"that": false, "message": "nope"}, nil, ops.ClassExecution},
		{"control.fail", nil, nil, ops.ClassExecution},
		{"control.sleep", map[string]any{"duration": "1ms"}, map[string]any{"slept": "1ms"}, ""},
		{"control.log", map[string]any{"message": "x", "level": "loud"}, nil, ops.ClassValidation},
		{"control.sleep", map[string]any{"duration": "-1s"}, nil, ops.ClassValidation},
	}
	for _, c := range cases {
		out, err := opstest.Execute(r, context.Background(), c.op, c.params)
		if got := ops.ClassOf(err); got != c.class {
			t.Errorf("%s %v: class %q (%v), want %q", c.op, c.params, got, err, c.class)
			continue
		}
		if err == nil {
			if diff := cmp.Diff(c.want, out); diff != "" {
				t.Errorf("%s output (-want +got):\n%s", c.op, diff)
			}
		}
	}
}

func TestSleepHonoursCancellation(t *testing.T) {
	r := registry(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("stop now")
	time.AfterFunc(20*time.Millisecond, func() { cancel(cause) })
	start := time.Now()
	_, err := opstest.Execute(r, ctx, "control.sleep", map[string]any{"duration": "1h"})
	if !errors.Is(err, cause) {
		t.Errorf("err = %v, want the cancel cause", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("sleep did not end on cancel")
	}
}

// TestImmediate: the control operations that wait on nothing say so, and
// the engine calls them without a goroutine of their own; control.sleep
// waits, and must stay in one, which abandons it should it hang.
func TestImmediate(t *testing.T) {
	r := registry(t)
	got := map[string]bool{}
	for _, e := range r.List("control") {
		got[e.Spec.Name] = e.Spec.Immediate
	}
	want := map[string]bool{"control.noop": true, "control.log": true, "control.set": true,
		"control.assert": true, "control.fail": true, "control.sleep": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Immediate by operation (-want +got):\n%s", diff)
	}
}
