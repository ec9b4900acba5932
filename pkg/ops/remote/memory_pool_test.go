package remote

import (
	"context"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestExecWaitsForMemoryBeforeItOpensASession: ssh.exec on a run's own
// pool (WithPool) holds its output in the registry's output memory, and
// while it waits for room there it holds no session of the connection,
// which steps that have their memory could use. It opened its session
// first and held it while it waited.
func TestExecWaitsForMemoryBeforeItOpensASession(t *testing.T) {
	const mib = 1 << 20
	srv := startServer(t, serverOpts{})
	st := srv.settings(srv.inventory(t, "box"))
	pool := newPool(t, st)
	r := registry(t, Settings{Agent: "none"})
	mem := r.OutputMemory()
	mem.SetLimit(16 * mib)
	// Another step holds 6 MiB and may grow to all of it; a third asks
	// for 4 MiB more than the pool can keep for both, and waits: the
	// step comes behind it.
	a, err := mem.HoldUpTo(context.Background(), 6*mib, 16*mib, "a")
	if err != nil {
		t.Fatal(err)
	}
	waits := make(chan string, 2)
	tell := func(ctx context.Context) context.Context {
		return ops.WithCall(ctx, &ops.Call{Message: func(_, text string) { waits <- text }})
	}
	held := make(chan *ops.OutputHold, 1)
	go func() {
		b, _ := mem.HoldUpTo(tell(context.Background()), 4*mib, 16*mib, "b")
		held <- b
	}()
	<-waits
	done := make(chan error, 1)
	var out map[string]any
	go func() {
		var err error
		out, err = opstest.Execute(r, WithPool(tell(context.Background()), pool), "ssh.exec", map[string]any{"host": "box", "command": []any{"echo", "hi"}})
		done <- err
	}()
	if msg := <-waits; !strings.HasPrefix(msg, "ssh.exec of echo on box waits for room for up to 6.0 MiB") {
		t.Errorf("the step said %q while it waited", msg)
	}
	h, err := st.Inventory.Resolve("box")
	if err != nil {
		t.Fatal(err)
	}
	if c := pool.pooled(h); c != nil && len(c.slots) > 0 {
		t.Errorf("the step holds %d sessions while it waits for memory", len(c.slots))
	}
	a.Release()
	b := <-held
	if err := <-done; err != nil || out["stdout"] != "hi\n" {
		t.Errorf("ssh.exec: %v, stdout %q", err, out["stdout"])
	}
	b.Release()
	if now, _ := mem.Used(); now != 0 {
		t.Errorf("%d bytes held after", now)
	}
}

// TestFactsHoldTheOutputMemory: ssh.facts holds what the host prints in
// the registry's output memory as it comes, as ssh.exec does, waiting in
// turn for its room, and gives it back. It held none: a fan-out of
// ssh.facts over hosts printing large files (/etc/os-release, df) took
// memory the pool did not count, and never waited.
func TestFactsHoldTheOutputMemory(t *testing.T) {
	const mib = 1 << 20
	srv := startServer(t, serverOpts{})
	pool := newPool(t, srv.settings(srv.inventory(t, "box")))
	r := registry(t, Settings{Agent: "none"})
	mem := r.OutputMemory()
	mem.SetLimit(16 * mib)
	// As in TestExecWaitsForMemoryBeforeItOpensASession: a step waits
	// for room, and the facts come behind it.
	a, err := mem.HoldUpTo(context.Background(), 6*mib, 16*mib, "a")
	if err != nil {
		t.Fatal(err)
	}
	waits := make(chan string, 2)
	tell := func(ctx context.Context) context.Context {
		return ops.WithCall(ctx, &ops.Call{Message: func(_, text string) { waits <- text }})
	}
	held := make(chan *ops.OutputHold, 1)
	go func() {
		b, _ := mem.HoldUpTo(tell(context.Background()), 4*mib, 16*mib, "b")
		held <- b
	}()
	<-waits
	done := make(chan error, 1)
	var out map[string]any
	go func() {
		var err error
		out, err = opstest.Execute(r, WithPool(tell(context.Background()), pool), "ssh.facts", map[string]any{"host": "box"})
		done <- err
	}()
	select {
	case msg := <-waits:
		if !strings.HasPrefix(msg, "ssh.facts on box waits for room for up to ") {
			t.Errorf("the step said %q while it waited", msg)
		}
	case err := <-done:
		t.Fatalf("ssh.facts ran while steps before it waited for memory (%v): it holds none", err)
	}
	a.Release()
	b := <-held
	if err := <-done; err != nil || out["system"] != "Linux" {
		t.Fatalf("ssh.facts: %v, system %v", err, out["system"])
	}
	b.Release()
	if now, _ := mem.Used(); now != 0 {
		t.Errorf("%d bytes held after", now)
	}
}
