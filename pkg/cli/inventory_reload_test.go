package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeSaysTheInventoryNeedsARestart: serve reads --inventory only at
// start. Before, a SIGHUP after the inventory was edited said it had
// reloaded the keys, policy and playbooks and nothing of the inventory,
// so the operator took the new hosts to be in use while the runs and
// /api/v1/cluster/* kept the old ones. Now the SIGHUP says the inventory
// changed and that a restart takes it in; an unchanged one is not named.
func TestServeSaysTheInventoryNeedsARestart(t *testing.T) {
	f := newServeFixture(t)
	inv := filepath.Join(f.dir, "inventory.yaml")
	if err := os.WriteFile(inv, []byte("version: 1\nhosts:\n  web-1: {address: 127.0.0.1, port: 1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, _ := f.serve(t, "--inventory", inv, "--no-schedule")
	hup := func(n int) string {
		t.Helper()
		p.cmd.Process.Signal(syscall.SIGHUP)
		deadline := time.Now().Add(20 * time.Second)
		for strings.Count(p.stderr.String(), "SIGHUP: reloaded") < n {
			if time.Now().After(deadline) {
				t.Fatalf("no reload %d; stderr:\n%s", n, p.stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		return p.stderr.String()
	}
	const changed = "changed since the start, and the inventory is read only at start: restart to use it"
	if log := hup(1); strings.Contains(log, changed) {
		t.Errorf("an unchanged inventory is said to have changed:\n%s", log)
	}
	if err := os.WriteFile(inv, []byte("version: 1\nhosts:\n  web-1: {address: 127.0.0.1, port: 1}\n  web-2: {address: 127.0.0.1, port: 2}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if log := hup(2); !strings.Contains(log, "SIGHUP: the inventory "+inv+" "+changed) {
		t.Errorf("the log does not say the edited inventory needs a restart:\n%s", log)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t)
}

// TestInventoryDigestDoesNotWaitOnAFIFO: the SIGHUP reload reads the
// inventory again to tell whether it changed; an inventory replaced by a
// FIFO held that reload, and the SIGTERM handled after it, until a writer
// came. It now counts as changed at once.
func TestInventoryDigestDoesNotWaitOnAFIFO(t *testing.T) {
	fifo := mkfifo(t, filepath.Join(t.TempDir(), "inventory.yaml"))
	t.Cleanup(func() {
		if w, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			w.Close()
		}
	})
	rf := &remoteFlags{inventory: fifo, invRead: "0123"}
	done := make(chan string, 1)
	go func() { done <- rf.inventoryChanged() }()
	select {
	case msg := <-done:
		if !strings.Contains(msg, "the inventory "+fifo+" changed since the start") {
			t.Errorf("inventoryChanged of a FIFO = %q", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("inventoryChanged still waits on a FIFO after 10s")
	}
}
