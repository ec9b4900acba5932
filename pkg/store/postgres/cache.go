package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// CacheGet returns the entry for key that has not expired at now.
func (s *Store) CacheGet(ctx context.Context, key string, now time.Time) (e history.CacheEntry, ok bool, err error) {
	var created, expires int64
	var out string
	err = s.pool.QueryRow(ctx, `SELECT op, playbook, step, output, created_at, expires_at FROM cache WHERE key = $1 AND expires_at > $2`,
		key, ms(now)).Scan(&e.Op, &e.Playbook, &e.Step, &out, &created, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, s.wrap("cache", err)
	}
	e.Key, e.Output, e.CreatedAt, e.ExpiresAt = key, json.RawMessage(out), fromMS(created), fromMS(expires)
	return e, true, nil
}

// CachePut stores an entry, replacing any of the same key, and drops a few
// expired entries on the way.
func (s *Store) CachePut(ctx context.Context, e history.CacheEntry) error {
	if len(e.Output) > history.MaxCacheOutput {
		return history.ErrCacheTooLarge
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO cache (key, op, playbook, step, output, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (key) DO UPDATE SET op = excluded.op, playbook = excluded.playbook, step = excluded.step,
			output = excluded.output, created_at = excluded.created_at, expires_at = excluded.expires_at`,
		e.Key, e.Op, e.Playbook, e.Step, string(e.Output), ms(e.CreatedAt), ms(e.ExpiresAt))
	b.Queue(`DELETE FROM cache WHERE key IN (SELECT key FROM cache WHERE expires_at <= $1 LIMIT 100)`, ms(e.CreatedAt))
	if err := s.sendTx(ctx, b); err != nil {
		return s.wrap("cache", err)
	}
	return nil
}

// CacheDelete removes the entry for key.
func (s *Store) CacheDelete(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM cache WHERE key = $1`, key); err != nil {
		return s.wrap("cache", err)
	}
	return nil
}

func cacheWhere(f history.CacheFilter) (string, []any) {
	var conds []string
	var args []any
	if f.Playbook != "" {
		args = append(args, f.Playbook)
		conds = append(conds, fmt.Sprintf("playbook = $%d", len(args)))
	}
	if f.Op != "" {
		args = append(args, f.Op)
		conds = append(conds, fmt.Sprintf("op = $%d", len(args)))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// CacheList returns the entries matching f, expired ones included, newest
// first, without their outputs.
func (s *Store) CacheList(ctx context.Context, f history.CacheFilter) ([]history.CacheInfo, error) {
	where, args := cacheWhere(f)
	rows, err := s.pool.Query(ctx, `SELECT key, op, playbook, step, octet_length(output), created_at, expires_at FROM cache`+where+` ORDER BY created_at DESC, key`, args...)
	if err != nil {
		return nil, s.wrap("cache", err)
	}
	defer rows.Close()
	var out []history.CacheInfo
	for rows.Next() {
		var c history.CacheInfo
		var created, expires int64
		var size int32
		if err := rows.Scan(&c.Key, &c.Op, &c.Playbook, &c.Step, &size, &created, &expires); err != nil {
			return nil, s.wrap("cache", err)
		}
		c.Size, c.CreatedAt, c.ExpiresAt = int64(size), fromMS(created), fromMS(expires)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("cache", err)
	}
	return out, nil
}

// CacheClear removes the entries matching f and returns how many.
func (s *Store) CacheClear(ctx context.Context, f history.CacheFilter) (int64, error) {
	where, args := cacheWhere(f)
	tag, err := s.pool.Exec(ctx, `DELETE FROM cache`+where, args...)
	if err != nil {
		return 0, s.wrap("cache", err)
	}
	return tag.RowsAffected(), nil
}
