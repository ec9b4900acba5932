package shell

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSandboxMemoryBoundsTheWholeSandboxWithACgroup(t *testing.T) {
	probe := &sandboxRun{l: &limits{Memory: 64 << 20}}
	if base, err := pidsCgroupBase(); err == nil {
		probe.cg, _ = newPidsCgroup(base, 0)
	}
	bounded := probe.boundMemory()
	probe.cleanup()
	if !bounded {
		t.Skip("no cgroup with a memory controller is writable here, so memory bounds each process alone")
	}
	// Each hold keeps 40 MiB in tail for a second, within the 64 MiB
	// address space each process may have; four at once need 160 MiB.
	script := func(n int) string {
		return `hold() { { head -c 40M /dev/zero; sleep 1; } | tail >/dev/null; }
i=0; pids=; while [ $i -lt ` + strconv.Itoa(n) + ` ]; do hold & pids="$pids $!"; i=$((i+1)); done
for p in $pids; do wait $p; done; echo held`
	}
	sb := map[string]any{"memory": "64Mi", "processes": 32}
	out, err := execute(t, context.Background(), nil, map[string]any{"script": script(1), "sandbox": sb})
	if err != nil || out["stdout"] != "held\n" {
		t.Fatalf("control run, one process holding 40 MiB: %v %v", out, err)
	}
	out, err = execute(t, context.Background(), nil, map[string]any{"script": script(4), "sandbox": sb})
	if err == nil || out["stdout"] != "" {
		t.Fatalf("four processes held 40 MiB each under a 64Mi sandbox: %v %v", out, err)
	}
	if !strings.Contains(err.Error(), "SIGKILL") || !strings.Contains(err.Error(), "memory limit") {
		t.Errorf("error does not say the memory limit killed a process: %v", err)
	}
}

func TestLimitCgroupMemoryFiles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string // before
		want  map[string]string // after; nil: an error
	}{
		{"v2 with memory and swap",
			map[string]string{"cgroup.controllers": "cpu memory pids\n", "memory.max": "max\n", "memory.swap.max": "max\n"},
			map[string]string{"cgroup.controllers": "cpu memory pids\n", "memory.max": "67108864", "memory.swap.max": "0"}},
		{"v2 without swap",
			map[string]string{"cgroup.controllers": "memory\n", "memory.max": "max\n"},
			map[string]string{"cgroup.controllers": "memory\n", "memory.max": "67108864"}},
		{"v2 without the memory controller",
			map[string]string{"cgroup.controllers": "cpu pids\n"}, nil},
		{"v1 memory with swap accounting",
			map[string]string{"memory.limit_in_bytes": "9223372036854771712\n", "memory.memsw.limit_in_bytes": "9223372036854771712\n"},
			map[string]string{"memory.limit_in_bytes": "67108864", "memory.memsw.limit_in_bytes": "67108864"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for f, v := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte(v), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := limitCgroupMemory(dir, 64<<20)
			if tc.want == nil {
				if err == nil {
					t.Fatal("no error for a cgroup without the memory controller")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
				got[e.Name()] = string(b)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("cgroup files (-want +got):\n%s", diff)
			}
		})
	}
}
