package storetest

// The sizes the cache lists, as every store reports them.

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// testCacheSizeInBytes: CacheList gives an entry's size in bytes, as
// size_bytes says and as the cache's limit counts them, also for an
// output of characters that take several bytes each.
func testCacheSizeInBytes(t *testing.T, open Opener) {
	s := open(t)
	out := json.RawMessage(`{"name":"héllo wörld ✓"}`)
	must(t, s.CachePut(ctx, history.CacheEntry{Key: "u", Op: "file.read", Playbook: "pb", Step: "read", Output: out, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	list, err := s.CacheList(ctx, history.CacheFilter{})
	must(t, err)
	if len(list) != 1 || list[0].Size != int64(len(out)) {
		t.Errorf("CacheList = %+v; want one entry of %d bytes", list, len(out))
	}
}
