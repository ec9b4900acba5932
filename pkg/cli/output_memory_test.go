package cli

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/proc"
)

// TestServeCapsTheHeapByTheOutputMemory: at serve's collector target of
// 400 the heap could grow to five times the outputs steps hold at once;
// a soft memory limit of twice the output memory and serve's own keeps
// it near that, unless GOGC or GOMEMLIMIT says otherwise.
func TestServeCapsTheHeapByTheOutputMemory(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for _, c := range []struct {
		env  map[string]string
		want int64
	}{
		{nil, 2*(100<<20) + serveHeapBase},
		{map[string]string{"GOMEMLIMIT": "1GiB"}, math.MaxInt64},
		{map[string]string{"GOGC": "100"}, math.MaxInt64},
	} {
		debug.SetMemoryLimit(math.MaxInt64)
		setServeGC(func(k string) string { return c.env[k] }, 100<<20)
		if got := debug.SetMemoryLimit(-1); got != c.want {
			t.Errorf("%v: memory limit %d, want %d", c.env, got, c.want)
		}
	}
	var mib int
	if err := setOutputMemory(&mib)("8"); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Errorf("--max-output-memory 8: %v", err)
	}
	if err := setOutputMemory(&mib)("1024"); err != nil || mib != 1024 {
		t.Errorf("--max-output-memory 1024: %d, %v", mib, err)
	}
}

// TestRunAndScheduleTakeMaxOutputMemory: run and schedule take
// --max-output-memory as serve does, and a step's refusal, which names
// the flag, is then true: a read needing more than the limit given is
// refused, naming it. They refused the flag, and the pool stayed at 256
// MiB whatever the refusal said.
func TestRunAndScheduleTakeMaxOutputMemory(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 20<<20); err != nil {
		t.Fatal(err)
	}
	pb := writePlaybook(t, dir, "read.yaml", fmt.Sprintf(`version: 1
name: read-big
steps:
  - id: read
    op: file.read
    with: {path: %q, max_bytes: 20971520}
`, big))
	r := runEnv(t, nil, "run", pb, "--max-output-memory", "16", "--log-format", "json")
	r.want(t, ExitFailed, nil, []string{"more than the 16 MiB the process lets operations hold", "--max-output-memory MIB of arsenal-run run"})
	runEnv(t, nil, "run", pb, "--max-output-memory", "64").want(t, ExitOK, nil, nil)
	for _, cmd := range []string{"run", "schedule", "serve"} {
		r := runEnv(t, nil, cmd, pb, "--max-output-memory", "8")
		r.want(t, ExitUsage, nil, []string{"-max-output-memory: give a whole number of MiB, at least 16, like 512"})
	}
	// schedule's registry, and serve's, take it too.
	e := &env{getenv: func(string) string { return "" }, stderr: io.Discard, outputMiB: 32}
	sup := proc.NewSupervisor(proc.Options{})
	defer sup.Close()
	reg, code := e.daemonRegistry(sup)
	if code != ExitOK {
		t.Fatalf("daemonRegistry: exit %d", code)
	}
	defer reg.Close()
	if got := reg.OutputMemory().Limit(); got != 32<<20 {
		t.Errorf("schedule's output memory is %d bytes, want %d", got, 32<<20)
	}
}
