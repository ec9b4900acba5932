package proc

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestStatusAfterClose: once the supervisor was closed (arsenal-run
// exiting, the run that owned it ending), a process it watched still
// read status running, as if something restarted it, and one waiting
// out its backoff still read backoff, a restart that would never come.
// They read unsupervised and stopped.
func TestStatusAfterClose(t *testing.T) {
	r, sup := newEnv(t, Options{Backoff: time.Hour})
	mark := marker(t)
	if _, err := opstest.Execute(r, context.Background(), "process.start", with(helper(t, "sleep", mark), "supervisor", "web", "restart", "always")); err != nil {
		t.Fatal(err)
	}
	if _, err := opstest.Execute(r, context.Background(), "process.start", with(helper(t, "exit3", mark), "supervisor", "jobs", "restart", "always")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the failing process waits for its restart", func() bool {
		return children(t, r, "jobs")[0]["status"] == "backoff"
	})
	web := children(t, r, "web")[0]
	if web["status"] != "running" {
		t.Fatalf("before close: %v", web)
	}
	pid := web["pid"].(int)
	t.Cleanup(func() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil) // no longer the supervisor's to reap
	})
	if err := sup.Close(); err != nil {
		t.Fatal(err)
	}
	for group, want := range map[string]string{"web": "unsupervised", "jobs": "stopped"} {
		cs, err := sup.Children(group)
		if err != nil || len(cs) != 1 {
			t.Fatalf("%s after close: %v %v", group, cs, err)
		}
		if cs[0].Status != want {
			t.Errorf("%s after close: status %s, want %s", group, cs[0].Status, want)
		}
	}
}
