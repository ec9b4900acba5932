package shell

import "testing"

// TestCacheKeyHoldsTheEnvironment: a cached shell.exec answer is keyed by
// the environment the command gets, in any order.
func TestCacheKeyHoldsTheEnvironment(t *testing.T) {
	e := &Exec{}
	eu := e.CacheKey([]string{"AWS_REGION=eu-west-1", "HOME=/root"})
	if us := e.CacheKey([]string{"AWS_REGION=us-east-1", "HOME=/root"}); us == eu {
		t.Error("two regions share a key")
	}
	if again := e.CacheKey([]string{"HOME=/root", "AWS_REGION=eu-west-1"}); again != eu {
		t.Error("the order of the environment changes the key")
	}
}
