package cli

import "testing"

// TestStoreWithAStateDirSaysWhy: `store` given a state dir, as a tired
// user mixing up the two stores would, says what store is for and that a
// state dir needs none of it, not only "unknown flag".
func TestStoreWithAStateDirSaysWhy(t *testing.T) {
	for _, args := range [][]string{{"store", "status", "--state-dir", "st"}, {"store", "migrate", "--state-dir=st"}} {
		runMain(t, args...).want(t, ExitUsage, nil, []string{"store works on a shared PostgreSQL database, given with --state URL; a state dir (--state-dir) is migrated when"})
	}
}
