package postgres

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"
)

// sessionKeyLen is the size of a new session signing key.
const sessionKeyLen = 32

// SessionKey returns the key console sessions are signed with, shared by
// every process on the database and made by whichever asks first, as the
// report key is.
func (s *Store) SessionKey(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, sessionKeyLen)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	var key []byte
	err := s.pool.QueryRow(ctx, `WITH ins AS (INSERT INTO settings (name, value) VALUES ('session_key', $1) ON CONFLICT (name) DO NOTHING RETURNING value)
		SELECT value FROM ins UNION ALL SELECT value FROM settings WHERE name = 'session_key' LIMIT 1`, fresh).Scan(&key)
	if err != nil {
		return nil, s.wrap("session key", err)
	}
	return key, nil
}

// RevokeSession records that the session id was signed out; it is kept
// until it would have expired. Revocations that expired are dropped on
// the way.
func (s *Store) RevokeSession(ctx context.Context, id string, expires time.Time) error {
	_, err := s.pool.Exec(ctx, `WITH gone AS (DELETE FROM session_revocations WHERE expires_at < $3)
		INSERT INTO session_revocations (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
		id, expires.UnixMilli(), time.Now().UnixMilli())
	if err != nil {
		return s.wrap("record the sign-out", err)
	}
	return nil
}

// SessionRevoked reports whether the session id was signed out, by any
// process on the database.
func (s *Store) SessionRevoked(ctx context.Context, id string) (bool, error) {
	var revoked bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM session_revocations WHERE id = $1)`, id).Scan(&revoked); err != nil {
		return false, s.wrap("check the session", err)
	}
	return revoked, nil
}
