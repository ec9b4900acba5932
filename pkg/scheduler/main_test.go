package scheduler

import (
	"os"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// TestMain stops the PostgreSQL server that the postgres subtests start.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
