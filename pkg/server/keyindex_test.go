package server

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkAuthenticateKey is the key check of a request (its lookup,
// expiry and the caller it makes) against keys files of 6 and of 10,000
// keys, MaxKeys: the check runs on every request but the public ones.
func BenchmarkAuthenticateKey(b *testing.B) {
	for _, n := range []int{6, MaxKeys} {
		b.Run(fmt.Sprintf("%d keys", n), func(b *testing.B) {
			ts := newTestServer(b)
			keys, key := manyKeys(b, n)
			st := ts.srv.current().State
			st.Keys = keys
			if err := ts.srv.Reload(st); err != nil {
				b.Fatal(err)
			}
			req := httptest.NewRequest("POST", "/api/v1/operations/control.noop/execute", nil)
			req.Header.Set("Authorization", "Bearer "+key)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, e := ts.srv.authenticate(req); e != nil {
					b.Fatal(e)
				}
			}
		})
	}
}

// manyKeys is a keys file of n admin keys and the key of its last entry.
func manyKeys(t testing.TB, n int) (*Keys, string) {
	var y strings.Builder
	y.WriteString("version: 1\nkeys:\n")
	var last string
	for i := range n {
		key, digest, err := NewKey()
		if err != nil {
			t.Fatal(err)
		}
		last = key
		// Compact, so that MaxKeys keys fit in MaxKeysFileSize.
		fmt.Fprintf(&y, "- {name: k%d,sha256: %s,roles: [admin]}\n", i, digest)
	}
	keys, err := ParseKeys("keys.yaml", []byte(y.String()))
	if err != nil {
		t.Fatal(err)
	}
	return keys, last
}

// TestAuthenticateKeyAllocs: checking a request's key makes nothing on
// the heap: the key is hashed from the stack and the caller is the one
// made with the keys file. It made 4 allocations (the key's bytes, its
// print twice over and the caller).
func TestAuthenticateKeyAllocs(t *testing.T) {
	ts := newTestServer(t)
	req := httptest.NewRequest("POST", "/api/v1/operations/control.noop/execute", nil)
	req.Header.Set("Authorization", "Bearer "+ts.keys["admin"])
	got := testing.AllocsPerRun(100, func() {
		if c, e := ts.srv.authenticate(req); e != nil || c.Name != "admin" {
			t.Fatalf("%v %v", c, e)
		}
	})
	if got > 0 {
		t.Errorf("checking a key made %.0f allocations, want none", got)
	}
}

// TestKeyLookupAmongMany: among many keys each key finds its own entry,
// a key one character off or cut short finds none, and a reload that
// drops a key refuses it at the next request.
func TestKeyLookupAmongMany(t *testing.T) {
	var y strings.Builder
	y.WriteString("version: 1\nkeys:\n")
	all := make([]string, 500)
	for i := range all {
		key, digest, err := NewKey()
		if err != nil {
			t.Fatal(err)
		}
		all[i] = key
		fmt.Fprintf(&y, "- {name: k%d, sha256: %s, roles: [admin]}\n", i, digest)
	}
	keys, err := ParseKeys("keys.yaml", []byte(y.String()))
	if err != nil {
		t.Fatal(err)
	}
	for i, key := range all {
		if k := keys.lookup(key); k == nil || k.name != fmt.Sprintf("k%d", i) || k.caller.Name != k.name || k.caller.print != keyPrint(k) {
			t.Fatalf("key %d found %+v", i, k)
		}
		off := []byte(key)
		off[len(off)-1] ^= 1
		if k := keys.lookup(string(off)); k != nil {
			t.Fatalf("a key one character off found %s", k.name)
		}
		if k := keys.lookup(key[:len(key)-1]); k != nil {
			t.Fatalf("a key cut short found %s", k.name)
		}
		if k := keys.named(fmt.Sprintf("k%d", i)); k == nil || k.print != keyPrint(k) {
			t.Fatalf("name k%d found %+v", i, k)
		}
	}
	if keys.named("nobody") != nil || keys.lookup("") != nil {
		t.Error("found a key that is not there")
	}

	ts := newTestServer(t)
	st := ts.srv.current().State
	st.Keys = keys
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
	ts.do(request{method: "GET", path: "/api/v1/playbooks", rawKey: all[7]}).want(t, 200)
	fewer, err := ParseKeys("keys.yaml", []byte(strings.Replace(y.String(), "- {name: k7,", "- {name: gone7,", 1)))
	if err != nil {
		t.Fatal(err)
	}
	st.Keys = fewer
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
	// The same key under another name is another caller.
	var who map[string]any
	if err := json.Unmarshal(ts.do(request{method: "GET", path: "/api/v1/session", rawKey: all[7]}).want(t, 200).body, &who); err != nil || who["name"] != "gone7" {
		t.Errorf("after the reload the key is %v (%v), want gone7", who["name"], err)
	}
	st.Keys, err = ParseKeys("keys.yaml", []byte(strings.Replace(y.String(), "- {name: k7,", "#", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
	ts.do(request{method: "GET", path: "/api/v1/playbooks", rawKey: all[7]}).want(t, 401)
	ts.do(request{method: "GET", path: "/api/v1/playbooks", rawKey: all[8]}).want(t, 200)
}

// TestKeyExpiresBetweenRequests: a key is refused at the first request
// after its end, on the connection that used it a moment before.
func TestKeyExpiresBetweenRequests(t *testing.T) {
	now := time.Date(2019, 12, 31, 23, 59, 59, 0, time.UTC)
	var mu sync.Mutex
	ts := newTestServer(t, func(c *Config) {
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	ts.get("old", "/api/v1/playbooks").want(t, 200)
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	ts.get("old", "/api/v1/playbooks").want(t, 401)
}
