package runs

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// BenchmarkExecuteOp is the path of every API execute: a one-step run with
// history, a report and the audit log, from 64 goroutines at once.
func BenchmarkExecuteOp(b *testing.B) {
	for _, tc := range []struct {
		name  string
		state bool
	}{{"no state dir", false}, {"state dir and audit", true}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := Config{}
			if tc.state {
				dir := b.TempDir()
				audit, err := auth.OpenAudit(filepath.Join(dir, "audit.log"))
				if err != nil {
					b.Fatal(err)
				}
				defer audit.Close()
				cfg.StateDir, cfg.Audit = dir, audit
			}
			m := newManager(b, cfg, Limits{})
			req := OpRequest{Op: "control.noop", Caller: Caller{Roles: []string{"admin"}, Name: "bench", From: "127.0.0.1", Trigger: TriggerAPI}}
			b.SetParallelism(32)
			var ru0, ru1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := m.ExecuteOp(context.Background(), req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			// CPU time per execute: steadier than wall time on a machine
			// shared with other work.
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
			b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/op")
		})
	}
}
