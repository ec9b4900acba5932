package plugin_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
)

// slowFirstLine is a live stderr writer whose first line is written only
// after the program has exited and a while more: the lines the program
// wrote meanwhile wait in the pipe.
type slowFirstLine struct {
	flag, done string
	once       sync.Once
	mu         sync.Mutex
	buf        bytes.Buffer
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
		time.Sleep(500 * time.Millisecond) // the program exits meanwhile
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *slowFirstLine) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// TestSlowReaderGetsTheLastLines: the stderr lines a plugin left in its
// pipe when it exited all reach the live output and the error that quotes
// them, however long the live output takes over them, and its answer is
// read; the wait for the pipes to close bounds only what a process outside
// the group may still hold open.
func TestSlowReaderGetsTheLastLines(t *testing.T) {
	for name, exit := range map[string]string{
		"answer":  `echo '{"ok": true}'`,
		"failure": "exit 3",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			live := &slowFirstLine{flag: filepath.Join(dir, "flag"), done: filepath.Join(dir, "done")}
			write(t, dir, "p.prog", `#!/bin/sh
echo first >&2
while [ ! -e flag ]; do sleep 0.01; done
seq 2000 >&2
echo "hello from deep" >&2
touch done
`+exit+"\n", 0o755)
			write(t, dir, "p.yaml", "version: 1\nname: acme.p\ncategory: acme\ndescription: Talk a lot.\nrisk: read\ncommand: [./p.prog]\n", 0o644)
			reg := registry(t, dir, plugin.Options{WaitDelay: time.Millisecond})
			ctx := ops.WithCall(context.Background(), &ops.Call{RunID: "run-1", Playbook: "pb", Step: "s", ErrOutput: live})
			out, err := opstest.Execute(reg, ctx, "acme.p", nil)
			if exit == "exit 3" {
				if err == nil || !strings.Contains(err.Error(), "2000\nhello from deep") {
					t.Errorf("error = %v, want the last lines of stderr", err)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if out["ok"] != true {
				t.Errorf("answer = %v, want ok: true", out)
			}
			if s := live.String(); !strings.HasSuffix(s, "2000\nhello from deep\n") {
				t.Errorf("live output ends %q, want its last lines", s[max(len(s)-40, 0):])
			}
		})
	}
}
