package queue

import (
	"context"
	"fmt"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// BenchmarkWaiting lists the newest page of runs waiting in a queue that
// holds many.
func BenchmarkWaiting(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		for _, limit := range []int{51, 1001} {
			b.Run(fmt.Sprintf("waiting=%d/limit=%d", n, limit), func(b *testing.B) {
				r := newReplica(b, pgtest.DSN(b), 1, false)
				ctx := context.Background()
				if _, _, err := r.q.Submit(ctx, args("nap", nil)); err != nil {
					b.Fatal(err)
				}
				if _, err := r.pg.Pool().Exec(ctx, `INSERT INTO river_job (args, kind, max_attempts, queue, state, priority, scheduled_at, created_at)
					SELECT jsonb_set(j.args, '{run_id}', to_jsonb('r' || g)), j.kind, 1, j.queue, 'available', 1,
						j.scheduled_at + g * interval '1 ms', j.created_at + g * interval '1 ms'
					FROM river_job j, generate_series(1, $1) g`, n-1); err != nil {
					b.Fatal(err)
				}
				if _, err := r.pg.Pool().Exec(ctx, `ANALYZE river_job`); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for b.Loop() {
					jobs, err := r.q.Waiting(ctx, WaitingFilter{Limit: limit})
					if err != nil || len(jobs) != min(n, limit) {
						b.Fatal(len(jobs), err)
					}
				}
			})
		}
	}
}
