package history

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// migrationResourcesAndCache adds, to each step and item row, what the
// local process of the call used (NULL for in-process operations, cache
// hits and reused steps), with a partial index for the CPU statistics;
// and the result cache (see cache.go). Keys and outputs of the cache
// never hold a secret in clear: keys are keyed hashes, and outputs that
// hold a secret are not stored.
const migrationResourcesAndCache = `ALTER TABLE steps ADD COLUMN cpu_user_ms INTEGER;
	ALTER TABLE steps ADD COLUMN cpu_sys_ms INTEGER;
	ALTER TABLE steps ADD COLUMN max_rss_kb INTEGER;
	CREATE INDEX steps_resources ON steps (started_at, op, cpu_user_ms, cpu_sys_ms, max_rss_kb) WHERE cpu_user_ms IS NOT NULL;
	CREATE TABLE cache (
		key        TEXT PRIMARY KEY,
		op         TEXT NOT NULL,
		playbook   TEXT NOT NULL DEFAULT '',
		step       TEXT NOT NULL DEFAULT '',
		output     TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL
	);
	CREATE INDEX cache_expires ON cache (expires_at);
	CREATE INDEX cache_playbook ON cache (playbook, op);`

// appendResources appends the resource columns of a step or item row to
// dst: from the resources field of its output, or NULL when it has none
// or did not run in this run (a cache hit, a reused step).
func appendResources(dst []any, output any, notRun bool) []any {
	r, ok := ops.ResourcesOf(output)
	if !ok || notRun {
		return append(dst, nil, nil, nil)
	}
	return append(dst, r.CPUUserMS, r.CPUSysMS, r.MaxRSSKB)
}

// CPUStats summarises the CPU time (user plus system, in milliseconds) and
// peak memory of an operation's calls that ran a local process.
type CPUStats struct {
	Count int64 `json:"count"`
	P50MS int64 `json:"p50_ms"`
	P95MS int64 `json:"p95_ms"`
	// MaxRSSKB is the largest peak resident set of any of those calls.
	MaxRSSKB int64 `json:"max_rss_kb"`
}

const cpuStatsQuery = `SELECT op, cpu_user_ms + cpu_sys_ms, max_rss_kb
	FROM steps INDEXED BY steps_resources
	WHERE cpu_user_ms IS NOT NULL AND started_at >= ? AND started_at < ?`

// addResources fills the CPU statistics of the operations in list (sorted
// by name) from the rows that recorded resources.
func addResources(ctx context.Context, tx *sql.Tx, since, until int64, list []OpStats) error {
	byOp, err := cpuByOp(ctx, tx, since, until)
	if err != nil {
		return err
	}
	for i := range list {
		list[i].CPU = byOp[list[i].Op]
	}
	return nil
}

func cpuByOp(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, since, until int64) (map[string]*CPUStats, error) {
	rows, err := q.QueryContext(ctx, cpuStatsQuery, since, until)
	if err != nil {
		return nil, fmt.Errorf("history: cpu stats: %w", err)
	}
	defer rows.Close()
	cpu := map[string][]int64{}
	rss := map[string]int64{}
	var op string
	var c, r int64
	for rows.Next() {
		if err := rows.Scan(&op, &c, &r); err != nil {
			return nil, fmt.Errorf("history: cpu stats: %w", err)
		}
		cpu[op] = append(cpu[op], c)
		rss[op] = max(rss[op], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: cpu stats: %w", err)
	}
	out := make(map[string]*CPUStats, len(cpu))
	for op, list := range cpu {
		slices.Sort(list)
		g := &group{durations: list}
		out[op] = &CPUStats{Count: int64(len(list)), P50MS: g.p(50), P95MS: g.p(95), MaxRSSKB: rss[op]}
	}
	return out, nil
}

// OpResources is one operation's resource figures, for a metrics
// endpoint: see ResourceStats.
type OpResources struct {
	Op string `json:"op"`
	CPUStats
}

// ResourceStats returns, per operation and sorted by name, the CPU and
// memory figures of the calls that ran a local process and started at or
// after since. A /metrics handler exports them as gauges (see
// telemetry.ResourceCollector).
func (s *Store) ResourceStats(ctx context.Context, since time.Time) ([]OpResources, error) {
	byOp, err := cpuByOp(ctx, s.db, ms(since), UntilMS(time.Time{}))
	if err != nil {
		return nil, err
	}
	out := make([]OpResources, 0, len(byOp))
	for op, c := range byOp {
		out = append(out, OpResources{Op: op, CPUStats: *c})
	}
	slices.SortFunc(out, func(a, b OpResources) int { return strings.Compare(a.Op, b.Op) })
	return out, nil
}
