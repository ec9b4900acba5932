package postgres_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/store"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
	"github.com/arsenal-run/arsenal-run/pkg/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backend opens PostgreSQL stores on a new database; with reportDir, the
// reports go to files in a shared folder, else into the database.
func backend(reportDir bool) storetest.NewBackend {
	return func(t *testing.T) storetest.Opener {
		dsn := pgtest.DSN(t)
		dir := ""
		if reportDir {
			dir = t.TempDir()
		}
		return func(t *testing.T) store.Store {
			s, err := postgres.Open(context.Background(), postgres.Config{URL: dsn, ReportDir: dir, Lease: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	}
}

// TestStoreSuite runs the suite every store passes against PostgreSQL,
// with the reports kept in the database and in a shared folder.
func TestStoreSuite(t *testing.T) {
	t.Run("reports-in-database", func(t *testing.T) { storetest.Run(t, backend(false)) })
	t.Run("report-dir", func(t *testing.T) { storetest.Run(t, backend(true)) })
}
