package shell

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestDetachedStdinHolderDoesNotHoldTheStep: a process that left the group
// and keeps the step's stdin open without reading it does not keep the
// step from ending, however much stdin the program was given. (sh gives a
// background job /dev/null for stdin: the holder gets the pipe on fd 3.)
func TestDetachedStdinHolderDoesNotHoldTheStep(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	t.Cleanup(func() { killPidFile(t, pidFile) })
	script := `exec 3<&0
setsid sh -c 'echo $$ > "$PIDFILE"; exec sleep 300' &
exec 3<&-
while [ ! -s "$PIDFILE" ]; do sleep 0.01; done
echo "the group's last line"`
	type answer struct {
		out map[string]any
		err error
	}
	reg := newRegistry(t, &Exec{WaitDelay: 50 * time.Millisecond})
	done := make(chan answer, 1)
	go func() {
		out, err := opstest.Execute(reg, context.Background(), "shell.exec", map[string]any{
			"script": script,
			"stdin":  strings.Repeat("x", 1<<20),
			"env":    map[string]any{"PIDFILE": pidFile},
		})
		done <- answer{out, err}
	}()
	select {
	case a := <-done:
		if a.err != nil {
			t.Fatal(a.err)
		}
		if s := a.out["stdout"].(string); s != "the group's last line\n" {
			t.Errorf("stdout = %.200q", s)

		}
	case <-time.After(30 * time.Second):
		killPidFile(t, pidFile)
		<-done
		t.Fatal("the step waited for a detached process that holds its stdin")
	}
}
