package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

func openPG(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.Config{URL: dsn, Lease: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSessionKeyAndRevocationsAreShared: two processes on one database get
// one session key, and a sign-out recorded by one is seen by the other;
// expired revocations are dropped by the next sign-out.
func TestSessionKeyAndRevocationsAreShared(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := openPG(t, dsn), openPG(t, dsn)
	ctx := context.Background()
	ka, err := a.SessionKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.SessionKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ka) != 32 || !bytes.Equal(ka, kb) {
		t.Fatalf("session keys: %x and %x, want one 32-byte key", ka, kb)
	}
	if rk, _ := a.ReportKey(ctx); bytes.Equal(rk, ka) {
		t.Errorf("the session key is the report key")
	}
	if revoked, err := b.SessionRevoked(ctx, "s1"); err != nil || revoked {
		t.Fatalf("before the sign-out: %v %v", revoked, err)
	}
	if err := a.RevokeSession(ctx, "old", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeSession(ctx, "s1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeSession(ctx, "s1", time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("a second sign-out of a session: %v", err)
	}
	if revoked, err := b.SessionRevoked(ctx, "s1"); err != nil || !revoked {
		t.Errorf("after the sign-out through the other process: %v %v, want revoked", revoked, err)
	}
	if err := b.RevokeSession(ctx, "s2", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if revoked, _ := a.SessionRevoked(ctx, "old"); revoked {
		t.Errorf("an expired revocation was kept after the next sign-out")
	}
}

// BenchmarkSessionRevoked measures the database round trip every request
// with a session cookie makes on a shared store, with 10,000 revocations.
func BenchmarkSessionRevoked(b *testing.B) {
	s := openPG(b, pgtest.DSN(b))
	ctx := context.Background()
	for i := range 10_000 {
		if err := s.RevokeSession(ctx, fmt.Sprintf("r%d", i), time.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.SessionRevoked(ctx, "live-session"); err != nil {
			b.Fatal(err)
		}
	}
}
