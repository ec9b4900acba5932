package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CacheEntry is one cached operation result. Key is a hash that the
// caller computed from the operation and its parameters (see pkg/cache);
// the parameters themselves are never stored. Output is the operation's
// output as JSON.
type CacheEntry struct {
	Key       string          `json:"key"`
	Op        string          `json:"op"`
	Playbook  string          `json:"playbook"`
	Step      string          `json:"step"`
	Output    json.RawMessage `json:"-"`
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt time.Time       `json:"expires_at"`
}

// CacheFilter selects cache entries by playbook and op; empty fields match
// all.
type CacheFilter struct {
	Playbook string
	Op       string
}

// MaxCacheOutput is the largest output, as JSON, that the cache stores.
const MaxCacheOutput = 4 << 20

// ErrCacheTooLarge is returned by CachePut for an output over MaxCacheOutput.
var ErrCacheTooLarge = errors.New("output too large to cache")

// CacheGet returns the entry for key that has not expired at now. ok is
// false for a missing or expired entry; an error means the database could
// not be read.
func (s *Store) CacheGet(ctx context.Context, key string, now time.Time) (e CacheEntry, ok bool, err error) {
	var created, expires int64
	var out string
	err = s.db.QueryRowContext(ctx, `SELECT op, playbook, step, output, created_at, expires_at FROM cache WHERE key = ? AND expires_at > ?`,
		key, ms(now)).Scan(&e.Op, &e.Playbook, &e.Step, &out, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("history: cache: %w", err)
	}
	e.Key, e.Output, e.CreatedAt, e.ExpiresAt = key, json.RawMessage(out), fromMS(created), fromMS(expires)
	return e, true, nil
}

// CachePut stores an entry, replacing any of the same key, and drops a few
// expired entries on the way so the table does not grow without bound.
func (s *Store) CachePut(ctx context.Context, e CacheEntry) error {
	if len(e.Output) > MaxCacheOutput {
		return ErrCacheTooLarge
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("history: cache: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO cache (key, op, playbook, step, output, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET op = excluded.op, playbook = excluded.playbook, step = excluded.step,
			output = excluded.output, created_at = excluded.created_at, expires_at = excluded.expires_at`,
		e.Key, e.Op, e.Playbook, e.Step, string(e.Output), ms(e.CreatedAt), ms(e.ExpiresAt)); err != nil {
		return fmt.Errorf("history: cache: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM cache WHERE key IN (SELECT key FROM cache WHERE expires_at <= ? LIMIT 100)`, ms(e.CreatedAt)); err != nil {
		return fmt.Errorf("history: cache: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: cache: %w", err)
	}
	return nil
}

// CacheDelete removes the entry for key, such as one that did not decode.
func (s *Store) CacheDelete(ctx context.Context, key string) error {
	if _, err := s.exec(ctx, `DELETE FROM cache WHERE key = ?`, key); err != nil {
		return fmt.Errorf("history: cache: %w", err)
	}
	return nil
}

func cacheWhere(f CacheFilter) (string, []any) {
	var conds []string
	var args []any
	if f.Playbook != "" {
		conds = append(conds, "playbook = ?")
		args = append(args, f.Playbook)
	}
	if f.Op != "" {
		conds = append(conds, "op = ?")
		args = append(args, f.Op)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// CacheList returns the entries matching f, expired ones included (they
// are misses, and `cache clear` removes them), newest first, without
// their outputs; Size is filled instead.
func (s *Store) CacheList(ctx context.Context, f CacheFilter) ([]CacheInfo, error) {
	where, args := cacheWhere(f)
	rows, err := s.db.QueryContext(ctx, `SELECT key, op, playbook, step, length(CAST(output AS BLOB)), created_at, expires_at FROM cache`+where+` ORDER BY created_at DESC, key`, args...)
	if err != nil {
		return nil, fmt.Errorf("history: cache: %w", err)
	}
	defer rows.Close()
	var out []CacheInfo
	for rows.Next() {
		var c CacheInfo
		var created, expires int64
		if err := rows.Scan(&c.Key, &c.Op, &c.Playbook, &c.Step, &c.Size, &created, &expires); err != nil {
			return nil, fmt.Errorf("history: cache: %w", err)
		}
		c.CreatedAt, c.ExpiresAt = fromMS(created), fromMS(expires)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: cache: %w", err)
	}
	return out, nil
}

// CacheInfo describes a cache entry for `arsenal-run cache list`.
type CacheInfo struct {
	CacheEntry
	Size int64 `json:"size_bytes"`
}

// CacheClear removes the entries matching f and returns how many.
func (s *Store) CacheClear(ctx context.Context, f CacheFilter) (int64, error) {
	where, args := cacheWhere(f)
	res, err := s.exec(ctx, `DELETE FROM cache`+where, args...)
	if err != nil {
		return 0, fmt.Errorf("history: cache: %w", err)
	}
	return res.RowsAffected()
}
