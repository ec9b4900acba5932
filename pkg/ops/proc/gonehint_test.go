package proc

import (
	"context"
	"fmt"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestGonePIDSuggestsMissingOK: a pattern that matches nothing says to
// set missing_ok when that is fine, but a pid that has exited (the
// commonest miss in "stop the worker, if it still runs") said only that
// there was no such process.
func TestGonePIDSuggestsMissingOK(t *testing.T) {
	r, _ := newEnv(t, Options{})
	started, err := opstest.Execute(r, context.Background(), "process.start", helper(t, "exit0", marker(t)))
	if err != nil {
		t.Fatal(err)
	}
	pid := started["pid"].(int)
	gone(t, pid)
	want := fmt.Sprintf("no process with pid %d: it has exited, or the pid is wrong; set missing_ok: true if it may have ended already", pid)
	for _, op := range []string{"process.kill", "process.signal"} {
		_, err := opstest.Execute(r, context.Background(), op, map[string]any{"pid": pid})
		if err == nil || err.Error() != want || ops.ClassOf(err) != ops.ClassExecution {
			t.Errorf("%s of a gone pid: %v (class %s)\nwant: %s", op, err, ops.ClassOf(err), want)
		}
	}
}
