package remote_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/sshdtest"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// childrenOf returns the processes whose parent is ppid, from /proc.
func childrenOf(t *testing.T, ppid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && fields[1] == strconv.Itoa(ppid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// partial returns the size of the first file matching pattern, or -1.
func partial(pattern string) int64 {
	names, _ := filepath.Glob(pattern)
	for _, n := range names {
		if fi, err := os.Stat(n); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	}
	return -1
}

// TestTransferOnHungHost: the host's sshd stops answering half-way
// through a transfer, and the run is cancelled. The step is not abandoned
// at the engine's grace, with its transfer blocked for as long as the
// connection lives: the connection is closed, the step says the host gave
// no answer, and the partial copy is removed (the upload's through a new
// connection, which the server's listener still accepts).
func TestTransferOnHungHost(t *testing.T) {
	for _, op := range []string{"ssh.upload", "ssh.download"} {
		t.Run(op, func(t *testing.T) {
			srv := sshdtest.Start(t, sshdtest.Options{})
			inv, err := inventory.Parse("inventory.yaml", []byte("version: 1\nhosts:\n"+srv.InventoryLine(t, "box")))
			if err != nil {
				t.Fatal(err)
			}
			reg := ops.NewRegistry()
			if err := remote.Register(reg, remote.Settings{Inventory: inv, KnownHosts: []string{srv.KnownHosts}, Agent: "none",
				KeepAlive: time.Hour, KillGrace: 200 * time.Millisecond, DialTimeout: 5 * time.Second}); err != nil {
				t.Fatal(err)
			}
			defer reg.Close()
			local, far := t.TempDir(), t.TempDir()
			src, dest, tmp := filepath.Join(local, "big.bin"), filepath.Join(far, "big.bin"), filepath.Join(far, ".big.bin.arsenal-tmp-*", "big.bin")
			if op == "ssh.download" {
				src, dest, tmp = dest, src, filepath.Join(local, ".big.bin.arsenal-tmp-*")
			}
			// A sparse file: long to send, costs no disk to read.
			f, err := os.Create(src)
			if err == nil {
				err = f.Truncate(1 << 30)
			}
			if err == nil {
				err = f.Close()
			}
			if err != nil {
				t.Fatal(err)
			}
			more := "" // max_size is ssh.download's
			if op == "ssh.download" {
				more = fmt.Sprintf(", max_size: %d", 2<<30)
			}
			book := filepath.Join(local, "copy.yaml")
			if err := os.WriteFile(book, []byte(fmt.Sprintf(`version: 1
name: copy
steps:
  - id: s
    op: %s
    with: {host: box, src: %s, dest: %s%s}
`, op, src, dest, more)), 0o600); err != nil {
				t.Fatal(err)
			}
			plan, err := engine.New(reg, engine.WithGrace(100*time.Millisecond)).Load(book)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan *report.Report, 1)
			go func() {
				rep, _ := plan.Run(ctx, nil, engine.WithInventory(inv))
				done <- rep
			}()
			for deadline := time.Now().Add(30 * time.Second); partial(tmp) <= 0; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the transfer did not start")
				}
			}
			b, err := os.ReadFile(filepath.Join(srv.Dir, "sshd.pid"))
			if err != nil {
				t.Fatal(err)
			}
			listener, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			// The connection's sshd hangs: it reads nothing, answers nothing.
			for _, pid := range childrenOf(t, listener) {
				if err := syscall.Kill(pid, syscall.SIGSTOP); err == nil {
					t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
				}
			}
			cancel()

			rep := <-done
			step := &rep.Steps[0]
			if step.Error == nil || step.Abandoned || !strings.Contains(step.Error.Message, "box gave no answer while the transfer was being stopped") {
				t.Errorf("step: %s, abandoned %v, error %+v; want it waited for, saying box gave no answer", step.Status, step.Abandoned, step.Error)
			}
			if n := partial(tmp); n >= 0 {
				t.Errorf("a partial copy of %d bytes is left at %s", n, tmp)
			}
		})
	}
}
