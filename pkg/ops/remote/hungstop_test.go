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

// parentOf returns the parent of pid and its command name, from /proc.
func parentOf(t *testing.T, pid int) (int, string) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	// pid (comm) state ppid ...
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid))
	if err != nil {
		t.Fatal(err)
	}
	return ppid, strings.TrimSpace(string(comm))
}

// TestStopOnHungHost: the sshd process serving the command's connection
// stops answering while the command runs (as one stuck, or a connection
// a NAT dropped, does), and the run is cancelled. The step is not
// abandoned at the engine's grace while its stop is under way: it waits
// for the stop, which gives up on that connection within its own bound.
// The host still takes new connections: the signals go over one of
// their own and end the command, which used to run on unsignalled, and
// the error says so, and that its end could not be seen.
func TestStopOnHungHost(t *testing.T) {
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
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	book := filepath.Join(dir, "hang.yaml")
	if err := os.WriteFile(book, []byte(fmt.Sprintf(`version: 1
name: hang
steps:
  - id: s
    op: ssh.exec
    with: {host: box, command: [sh, -c, "echo $$ > %s.tmp && mv %s.tmp %s && sleep 300"]}
`, pidFile, pidFile, pidFile)), 0o600); err != nil {
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

	var pid int
	for deadline := time.Now().Add(30 * time.Second); pid == 0; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			t.Fatal("the command did not start")
		}
	}
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
	wrapper, _ := parentOf(t, pid)
	session, name := parentOf(t, wrapper)
	if name != "sshd" {
		t.Fatalf("the command's wrapper %d runs under %d (%s), not sshd", wrapper, session, name)
	}
	// The session's sshd hangs: it reads nothing, answers nothing.
	if err := syscall.Kill(session, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(session, syscall.SIGCONT) })
	cancel()

	rep := <-done
	var step *report.Step
	for i := range rep.Steps {
		if rep.Steps[i].ID == "s" {
			step = &rep.Steps[i]
		}
	}
	if step == nil || step.Error == nil {
		t.Fatalf("step s: %+v; want it failed", step)
	}
	msg := step.Error.Message
	want := "the connection of sh on box gave no answer, so its remote process group was sent TERM, then KILL over a connection of its own, " +
		"but its end could not be seen: check with `ps -ef` on box"
	if step.Abandoned || !strings.Contains(msg, want) {
		t.Errorf("step s: abandoned %v, error %q; want it waited for, saying %q", step.Abandoned, msg, want)
	}
	// Gone, or a zombie its stopped sshd has not reaped.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(b[strings.LastIndexByte(string(b), ')')+1:]), " Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command %d still runs after the step was stopped", pid)
		}
	}
}
