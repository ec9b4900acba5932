package shell

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// slowFirstLine is a live output writer whose first line is written only
// after the process has exited and a while more: the lines the process
// wrote meanwhile wait in the pipe.
type slowFirstLine struct {
	flag, done string
	once       sync.Once
	lockedBuffer
}

func (s *slowFirstLine) Write(p []byte) (int, error) {
	s.once.Do(func() {
		if err := os.WriteFile(s.flag, nil, 0o600); err != nil {
			panic(err)
		}
		for {
			if _, err := os.Stat(s.done); err == nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond) // the process exits meanwhile
	})
	return s.lockedBuffer.Write(p)
}

// TestSlowReaderGetsTheLastLines: the lines a process left in its pipe
// when it exited all reach the live output and the captured stdout, however
// long the reader takes over them; the wait for the pipes to close bounds
// only what a process outside the group may still hold open.
func TestSlowReaderGetsTheLastLines(t *testing.T) {
	dir := t.TempDir()
	live := &slowFirstLine{flag: filepath.Join(dir, "flag"), done: filepath.Join(dir, "done")}
	ctx := ops.WithCall(context.Background(), &ops.Call{Output: live})
	script := `echo first
while [ ! -e "$FLAG" ]; do sleep 0.01; done
seq 2000
echo "hello from deep"
touch "$DONE"`
	out, err := execute(t, ctx, &Exec{WaitDelay: time.Millisecond}, map[string]any{
		"script": script,
		"env":    map[string]any{"FLAG": live.flag, "DONE": live.done},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := out["stdout"].(string); !strings.HasSuffix(s, "2000\nhello from deep\n") {
		t.Errorf("captured stdout ends %q, want its last lines", s[max(len(s)-40, 0):])
	}
	if s := live.String(); !strings.HasSuffix(s, "2000\nhello from deep\n") {
		t.Errorf("live output ends %q, want its last lines", s[max(len(s)-40, 0):])
	}
}

// TestDetachedHolderDoesNotHoldTheStep: a process that left the group and
// keeps the output pipes open, silent or writing without end, does not
// keep the step from ending once the group's output is read.
func TestDetachedHolderDoesNotHoldTheStep(t *testing.T) {
	for name, holder := range map[string]string{
		"silent": "exec sleep 300",
		// Without end, but not flat out: a flood would fill the capture
		// before the group's last line on a loaded machine.
		"writing": "while :; do echo detached; sleep 0.01; done",
	} {
		t.Run(name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			t.Cleanup(func() { killPidFile(t, pidFile) })
			script := `setsid sh -c 'echo $$ > "$PIDFILE"; ` + holder + `' &
while [ ! -s "$PIDFILE" ]; do sleep 0.01; done
echo "the group's last line"`
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			out, err := execute(t, ctx, &Exec{WaitDelay: 50 * time.Millisecond}, map[string]any{
				"script": script,
				"env":    map[string]any{"PIDFILE": pidFile},
			})
			if err != nil {
				t.Fatal(err)
			}
			if s := out["stdout"].(string); !strings.Contains(s, "the group's last line\n") {
				t.Errorf("stdout misses the group's last line: %.200q", s)
			}
		})
	}
}

// killPidFile kills the process whose pid the file holds.
func killPidFile(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		t.Errorf("pid file %s holds %q", path, b)
		return
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}
