package queue

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// fillJobs adds n waiting jobs to the queue of r, copies of its one job
// a millisecond apart, each of a run of its own (RUN-1 to RUN-n).
func fillJobs(t testing.TB, r *replica, n int) {
	t.Helper()
	ctx := context.Background()
	if _, err := r.pg.Pool().Exec(ctx, `INSERT INTO river_job (args, kind, max_attempts, queue, state, priority, scheduled_at, created_at)
		SELECT jsonb_set(j.args, '{run_id}', to_jsonb(j.args->>'run_id' || '-' || g)), j.kind, 1, j.queue, 'available', j.priority,
			j.scheduled_at + g * interval '1 ms', j.created_at + g * interval '1 ms'
		FROM river_job j, generate_series(1, $1::int) g`, n); err != nil {
		t.Fatal(err)
	}
}

// findPlan is PostgreSQL's plan for Find's query of run id.
func findPlan(t *testing.T, pool *pgxpool.Pool, id string) string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `EXPLAIN `+findSQL, Kind, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// TestRunLookupIsIndexed: on a database whose queue holds many jobs and
// that an older release migrated (no index of jobs by run), a migration
// indexes them, so that finding a run's job (every cancel, every read of
// a waiting run) no longer reads every job; status counts it as pending
// until then, and migrating again does nothing.
func TestRunLookupIsIndexed(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false) // takes no job
	ctx := context.Background()
	pool := r.pg.Pool()
	if _, err := pool.Exec(ctx, `DROP INDEX IF EXISTS `+runIndex); err != nil {
		t.Fatal(err)
	}
	id, _, err := r.q.Submit(ctx, args("nap", nil))
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	fillJobs(t, r, n)
	if _, err := pool.Exec(ctx, `ANALYZE river_job`); err != nil {
		t.Fatal(err)
	}
	if p, err := Pending(ctx, pool); err != nil || p != 1 {
		t.Errorf("Pending before the index: %d, %v; want 1", p, err)
	}
	if applied, err := Migrate(ctx, pool); err != nil || applied != 1 {
		t.Errorf("Migrate: applied %d, %v; want 1", applied, err)
	}
	want := id + "-12345"
	if plan := findPlan(t, pool, want); !strings.Contains(plan, runIndex) {
		t.Errorf("finding a run's job among %d does not use %s:\n%s", n, runIndex, plan)
	}
	if j, err := r.q.Find(ctx, want); err != nil || j.Args.RunID != want {
		t.Errorf("Find(%s): %+v, %v", want, j.Args, err)
	}
	if p, err := Pending(ctx, pool); err != nil || p != 0 {
		t.Errorf("Pending once indexed: %d, %v; want 0", p, err)
	}
	if applied, err := Migrate(ctx, pool); err != nil || applied != 0 {
		t.Errorf("Migrate again: applied %d, %v; want 0", applied, err)
	}
}

// TestRunIndexInvalidIsBuiltAgain: a build of the index that was
// interrupted leaves an invalid index of that name, which no query uses:
// status counts the index as pending, and a migration drops and builds
// it again, rather than keep it because its name exists.
func TestRunIndexInvalidIsBuiltAgain(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false)
	ctx := context.Background()
	pool := r.pg.Pool()
	if _, _, err := r.q.Submit(ctx, args("nap", nil)); err != nil {
		t.Fatal(err)
	}
	fillJobs(t, r, 2)
	if _, err := pool.Exec(ctx, `DROP INDEX IF EXISTS `+runIndex); err != nil {
		t.Fatal(err)
	}
	// A concurrent build that fails half-way (here on duplicate kinds)
	// leaves its index behind, invalid.
	if _, err := pool.Exec(ctx, `CREATE UNIQUE INDEX CONCURRENTLY `+runIndex+` ON river_job (kind)`); err == nil {
		t.Fatal("the unique index of a column with duplicates was built")
	}
	if exists, valid, err := runIndexState(ctx, pool); err != nil || !exists || valid {
		t.Fatalf("after the failed build: exists %v, valid %v, %v; want an invalid index", exists, valid, err)
	}
	if p, err := Pending(ctx, pool); err != nil || p != 1 {
		t.Errorf("Pending with an invalid index: %d, %v; want 1", p, err)
	}
	if applied, err := Migrate(ctx, pool); err != nil || applied != 1 {
		t.Fatalf("Migrate: applied %d, %v; want 1", applied, err)
	}
	var def string
	if err := pool.QueryRow(ctx, `SELECT pg_get_indexdef(to_regclass($1))`, runIndex).Scan(&def); err != nil {
		t.Fatal(err)
	}
	if exists, valid, err := runIndexState(ctx, pool); err != nil || !exists || !valid || !strings.Contains(def, "run_id") {
		t.Errorf("after Migrate: exists %v, valid %v, %v, %s; want a valid index of jobs by run", exists, valid, err, def)
	}
}

// BenchmarkFind finds the job of one run among 20,000 waiting ones
// (Find, as a cancel does), and that job with the runs ahead of it
// (InLine, as a read of a waiting run does), without the index of jobs
// by run and with it.
func BenchmarkFind(b *testing.B) {
	for _, indexed := range []bool{false, true} {
		for _, lookup := range []string{"Find", "InLine"} {
			name := map[bool]string{false: "unindexed", true: "indexed"}[indexed] + "/" + lookup
			b.Run(name, func(b *testing.B) {
				r := newReplica(b, pgtest.DSN(b), 1, false)
				ctx := context.Background()
				id, _, err := r.q.Submit(ctx, args("nap", nil))
				if err != nil {
					b.Fatal(err)
				}
				fillJobs(b, r, 20000)
				if !indexed {
					if _, err := r.pg.Pool().Exec(ctx, `DROP INDEX `+runIndex); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := r.pg.Pool().Exec(ctx, `ANALYZE river_job`); err != nil {
					b.Fatal(err)
				}
				want := id + "-10000"
				b.ResetTimer()
				for b.Loop() {
					if lookup == "Find" {
						if j, err := r.q.Find(ctx, want); err != nil || j.Args.RunID != want {
							b.Fatal(j.Args.RunID, err)
						}
					} else if j, ok, err := r.q.InLine(ctx, want); err != nil || !ok || j.Ahead != 10000 {
						b.Fatal(j.Ahead, ok, err)
					}
				}
			})
		}
	}
}
