package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// reloadPolicy reloads ts with the policy text, keeping its keys and
// playbooks, as SIGHUP does with a policy file reread: a new *Policy
// each time, even when the text is the same.
func (ts *testServer) reloadPolicy(t *testing.T, text string) {
	t.Helper()
	p, err := auth.ParsePolicy("p.yaml", []byte(text), ts.mgr.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	st := ts.srv.current().State
	st.Policy = p
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
}

// reloadKeys reloads ts with only the named keys of its own.
func (ts *testServer) reloadKeys(t *testing.T, names ...string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: 1\nkeys:\n")
	for _, n := range names {
		sum := sha256.Sum256([]byte(ts.keys[n]))
		role := map[string]string{"other-admin": "admin"}[n]
		if role == "" {
			role = n
		}
		fmt.Fprintf(&b, "  - {name: %s, sha256: %s, roles: [%s]}\n", n, hex.EncodeToString(sum[:]), role)
	}
	k, err := ParseKeys("keys.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	st := ts.srv.current().State
	st.Keys = k
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
}

const noopExec = "/api/v1/operations/control.noop/execute"

// noops executes control.noop n times and wants each to pass, then the
// next to be 429.
func (ts *testServer) noops(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		ts.post("operator", noopExec, map[string]any{}).want(t, 200)
	}
	ts.post("operator", noopExec, map[string]any{}).wantError(t, 429, ClassRateLimited)
}

// TestReloadKeepsOpRateBuckets: a reload does not refill the buckets of
// rate.ops. The same rate keeps its bucket, still empty; a changed rate
// starts a bucket of its own at the new rate; a rate removed limits no
// more, and one put back starts afresh.
func TestReloadKeepsOpRateBuckets(t *testing.T) {
	ts := newTestServer(t)
	const three = "version: 1\nroles: {ci: {inherits: [viewer]}}\nrate: {ops: {control.noop: 3/m}}\n"
	ts.reloadPolicy(t, three)
	ts.noops(t, 3)
	ts.reloadPolicy(t, three)
	ts.post("operator", noopExec, map[string]any{}).wantError(t, 429, ClassRateLimited)
	// Another pattern, added beside it, leaves it as it was.
	ts.reloadPolicy(t, "version: 1\nroles: {ci: {inherits: [viewer]}}\nrate: {ops: {control.noop: 3/m, control.fail: 2/m}}\n")
	ts.post("operator", noopExec, map[string]any{}).wantError(t, 429, ClassRateLimited)
	ts.reloadPolicy(t, "version: 1\nroles: {ci: {inherits: [viewer]}}\nrate: {ops: {control.noop: 5/m}}\n")
	ts.noops(t, 5)
	ts.reloadPolicy(t, "version: 1\nroles: {ci: {inherits: [viewer]}}\n")
	for i := 0; i < 6; i++ {
		ts.post("operator", noopExec, map[string]any{}).want(t, 200)
	}
	ts.reloadPolicy(t, three)
	ts.noops(t, 3)
}

// TestReloadKeepsPerKeyBuckets: a reload does not refill the callers'
// rate.per_key buckets, nor does reloading the keys file; a key removed
// loses its bucket, and a changed per_key rate starts every caller afresh
// at the new rate.
func TestReloadKeepsPerKeyBuckets(t *testing.T) {
	ts := newTestServer(t)
	const three = "version: 1\nroles: {ci: {inherits: [viewer]}}\nrate: {per_key: 3/m}\n"
	ts.reloadPolicy(t, three)
	exhaust := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			ts.get("viewer", "/api/v1/playbooks").want(t, 200)
		}
		ts.get("viewer", "/api/v1/playbooks").wantError(t, 429, ClassRateLimited)
	}
	exhaust(3)
	ts.reloadPolicy(t, three)
	ts.get("viewer", "/api/v1/playbooks").wantError(t, 429, ClassRateLimited)
	ts.get("operator", "/api/v1/playbooks").want(t, 200)
	ts.reloadKeys(t, "admin", "operator", "viewer", "ci")
	ts.get("viewer", "/api/v1/playbooks").wantError(t, 429, ClassRateLimited)
	// Removed, then back: a new bucket.
	ts.reloadKeys(t, "admin", "operator", "ci")
	ts.reloadKeys(t, "admin", "operator", "viewer", "ci")
	exhaust(3)
	ts.reloadPolicy(t, "version: 1\nroles: {ci: {inherits: [viewer]}}\nrate: {per_key: 4/m}\n")
	exhaust(4)
}
