package postgres

import (
	"context"
	"time"
)

// SessionKey returns the key console sessions are signed with, shared by
// every process on the database and made by whichever asks first, as the
// report key is.
func (s *Store) SessionKey(ctx context.Context) ([]byte, error) {
	return s.sharedKey(ctx, "session_key", "session key")
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
