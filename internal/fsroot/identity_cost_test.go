package fsroot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stateWithReports makes a state dir holding n reports, protects it, and
// returns a file of two names outside it: what GuardIdentity is asked of
// for every hard-linked file an archive packs or a copy reads.
func stateWithReports(tb testing.TB, n int) (string, os.FileInfo) {
	tb.Helper()
	dir := tb.TempDir()
	reports := filepath.Join(dir, "state", "reports")
	if err := os.MkdirAll(reports, 0o700); err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(reports, fmt.Sprintf("run-%06d.json", i)), nil, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	// Written an hour ago: a walk of a tree changed this very second is
	// not kept (racyWindow).
	hourAgo := time.Now().Add(-time.Hour)
	for _, d := range []string{reports, filepath.Dir(reports)} {
		if err := os.Chtimes(d, hourAgo, hourAgo); err != nil {
			tb.Fatal(err)
		}
	}
	withProtected(tb, filepath.Join(dir, "state"))
	a := filepath.Join(dir, "a")
	if err := os.WriteFile(a, []byte("x"), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.Link(a, filepath.Join(dir, "b")); err != nil {
		tb.Skipf("no hard links here: %v", err)
	}
	fi, err := os.Stat(a)
	if err != nil {
		tb.Fatal(err)
	}
	return a, fi
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGuardIdentity: the check of a file of two names against a
// state dir of 1,000 and 10,000 reports; cpu-ns/op is the process's CPU
// time per check, not the wall clock.
func BenchmarkGuardIdentity(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			abs, fi := stateWithReports(b, n)
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if err := GuardIdentity(abs, fi); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// TestGuardIdentityWalksAStateDirOnce: a second check of a file of two
// names does not walk a state dir of 1,000 reports again (its
// allocations are a few, not several per report; bounded for -race too),
// yet a link to the file made in the state dir since, or a newly
// protected directory holding one, is seen at the next check.
func TestGuardIdentityWalksAStateDirOnce(t *testing.T) {
	// A temporary directory of its own: the private runtime dir under it
	// is protected too, and one that earlier runs filled would be
	// checked beside the state dir.
	t.Setenv("TMPDIR", t.TempDir())
	abs, fi := stateWithReports(t, 1000)
	if err := GuardIdentity(abs, fi); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := GuardIdentity(abs, fi); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 200 {
		t.Errorf("a check took %.0f allocations with 1,000 reports: the state dir was walked again", allocs)
	}
	state := filepath.Join(filepath.Dir(abs), "state")
	other := filepath.Join(filepath.Dir(abs), "other")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(abs, filepath.Join(other, "copy")); err != nil {
		t.Fatal(err)
	}
	Protect(other, "plugins dir")
	if err := GuardIdentity(abs, fi); err == nil || !strings.Contains(err.Error(), filepath.Join(other, "copy")) {
		t.Errorf("a newly protected dir holding a link: %v, want a refusal naming it", err)
	}
	withProtected(t, state)
	if err := GuardIdentity(abs, fi); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(state, "reports", "run-000500.json")
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(abs, link); err != nil {
		t.Fatal(err)
	}
	if err := GuardIdentity(abs, fi); err == nil || !strings.Contains(err.Error(), link) {
		t.Errorf("a report replaced by a link to the file since the last check: %v, want a refusal naming it", err)
	}
}
