package history_test

import (
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/store"
	"github.com/arsenal-run/arsenal-run/pkg/store/storetest"
)

// TestStoreSuite runs the suite every store passes against the SQLite
// store of a state dir.
func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		dir := t.TempDir()
		return func(t *testing.T) store.Store {
			s, err := history.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	})
}
