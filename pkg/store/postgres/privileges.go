package postgres

import (
	"context"
	"fmt"
	"strings"
)

// workTables are the tables a process on the store reads and writes: the
// store's and the run queue's. The least-privilege role of docs/ha.md
// holds SELECT, INSERT, UPDATE and DELETE on each.
var workTables = []string{
	"runs", "steps", "schedules", "schedule_slots", "schedule_pauses", "concurrency", "cache",
	"owners", "reports", "settings", "run_cancels", "run_events", "session_revocations",
	"run_questions", "river_job", "river_leader", "river_queue",
}

// CheckPrivileges asks the database whether the role of the connection
// string holds SELECT, INSERT, UPDATE and DELETE on every table it works
// with (a table not created yet is left out), and USAGE on the sequences
// of their serial columns (river_job's id), which an INSERT takes a value
// from. (An identity column's sequence needs no privilege.) It fails
// naming the role and each privilege it lacks, and what to grant: a role
// that lost INSERT on runs (a REVOKE, a grant forgotten) answers every
// other query, but can record no run.
func (s *Store) CheckPrivileges(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT current_user::text, string_agg(p, ', ' ORDER BY o) || ' on ' || t
		FROM unnest($1::text[]) AS t
		CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) WITH ORDINALITY AS x(p, o)
		WHERE to_regclass(t) IS NOT NULL AND NOT has_table_privilege(to_regclass(t), p)
		GROUP BY t
		UNION ALL
		SELECT current_user::text, 'USAGE on the sequence ' || seq.relname || ' (of ' || t || ')'
		FROM unnest($1::text[]) AS t
		JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = to_regclass(t)
			AND d.classid = 'pg_class'::regclass AND d.deptype = 'a'
		JOIN pg_class seq ON seq.oid = d.objid AND seq.relkind = 'S'
		-- CASE: the planner may test a row before the relkind filter.
		WHERE CASE WHEN seq.relkind = 'S' THEN NOT has_sequence_privilege(seq.oid, 'USAGE, UPDATE') END
		ORDER BY 2`, workTables)
	if err != nil {
		return s.wrap("check the role's privileges", err)
	}
	defer rows.Close()
	var role string
	var missing []string
	for rows.Next() {
		var what string
		if err := rows.Scan(&role, &what); err != nil {
			return s.wrap("check the role's privileges", err)
		}
		missing = append(missing, what)
	}
	if err := rows.Err(); err != nil {
		return s.wrap("check the role's privileges", err)
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("postgres: the role %q of --state may not %s, so runs cannot be recorded; %s",
		role, strings.Join(missing, "; "), grantAdvice)
}
