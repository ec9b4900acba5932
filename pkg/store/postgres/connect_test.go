package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// TestConnectToASilentServerEnds: a server that takes the connection but
// never answers (no connect_timeout in the connection string) fails the
// connection once the default timeout has passed, saying so; it held it
// for ever, and serve's start-up with it.
func TestConnectToASilentServerEnds(t *testing.T) {
	addr, _ := pgtest.Silent(t)
	// The test's own bound: the connection must end well before it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := connect(ctx, "postgres://app:pw@"+addr+"/ops?sslmode=disable", 1, 300*time.Millisecond)
	if err == nil {
		t.Fatal("connected to a server that never answers")
	}
	if ctx.Err() != nil {
		t.Fatalf("the connection waited for the test's own bound: %v", err)
	}
	if !strings.Contains(err.Error(), "gave no answer within 300ms") {
		t.Errorf("the error does not say the server gave no answer: %v", err)
	}
}
