package server

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

func TestAuthentication(t *testing.T) {
	ts := newTestServer(t)
	path := "/api/v1/operations"
	for _, tc := range []struct {
		name string
		req  request
	}{
		{"no key", request{method: "GET", path: path}},
		{"wrong key", request{method: "GET", path: path, rawKey: "ak_not-a-key"}},
		{"basic auth", request{method: "GET", path: path, header: map[string]string{"Authorization": "Basic YWRtaW46YWRtaW4="}}},
		{"bearer without key", request{method: "GET", path: path, header: map[string]string{"Authorization": "Bearer "}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(tc.req)
			r.wantError(t, 401, ClassAuthentication)
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	// A key in the query string is refused even when it is valid.
	e := ts.do(request{method: "GET", path: path + "?access_token=" + ts.keys["admin"]}).wantError(t, 401, ClassAuthentication)
	if !strings.Contains(e["message"].(string), "Authorization: Bearer") {
		t.Errorf("message %v", e["message"])
	}
	// The scheme is case-insensitive.
	ts.do(request{method: "GET", path: path, header: map[string]string{"Authorization": "bearer " + ts.keys["viewer"]}}).want(t, 200)
}

func TestExpiredKeyIsRefused(t *testing.T) {
	ts := newTestServer(t)
	e := ts.get("old", "/api/v1/operations").wantError(t, 401, ClassAuthentication)
	if !strings.Contains(e["message"].(string), "expired") {
		t.Errorf("message %v", e["message"])
	}
	// A key that expires later works until then.
	now := time.Date(2019, 12, 31, 23, 0, 0, 0, time.UTC)
	ts2 := newTestServer(t, func(c *Config) { c.Now = func() time.Time { return now } })
	ts2.get("old", "/api/v1/operations").want(t, 200)
}

// Failed authentications are limited per client address: past the budget
// the address gets 429 with Retry-After, even with a valid key, while
// other addresses are not affected.
func TestFailedAuthIsRateLimited(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.Limits.AuthFailures = auth.Rate{PerSecond: 0.01, Burst: 3}
		c.Limits.AuthTarpit = 300 * time.Millisecond
	})
	for i := 0; i < 3; i++ {
		ts.do(request{method: "GET", path: "/api/v1/operations", rawKey: "ak_guess" + strconv.Itoa(i)}).want(t, 401)
	}
	r := ts.do(request{method: "GET", path: "/api/v1/operations", rawKey: "ak_guess"})
	r.wantError(t, 429, ClassRateLimited)
	if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	// The address is blocked, a valid key included: a guesser learns
	// nothing more from it, and each answer is held back a while.
	began := time.Now()
	ts.get("admin", "/api/v1/operations").wantError(t, 429, ClassRateLimited)
	if d := time.Since(began); d < 250*time.Millisecond {
		t.Errorf("a blocked address was answered after %s; want it held for the tarpit", d)
	}
	// /healthz needs no key and still answers.
	ts.get("", "/healthz").want(t, 200)
	// Another address has its own budget.
	if n := ts.srv.fails.size(); n != 1 {
		t.Errorf("%d addresses tracked, want 1", n)
	}
}

// TestRequestsThatGuessNothingAreNotCounted: no credentials, or a session
// cookie this server did not sign, are refused with 401 as often as they
// come, and bring the address no nearer its 429; a wrong key does.
func TestRequestsThatGuessNothingAreNotCounted(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.Limits.AuthFailures = auth.Rate{PerSecond: 0.01, Burst: 3}
		c.Limits.AuthTarpit = -1
	})
	for range 10 {
		ts.get("", "/api/v1/operations").wantError(t, 401, ClassAuthentication)
		e := ts.do(request{method: "GET", path: "/api/v1/session", header: map[string]string{"Cookie": cookieName + "=a.b.c"}}).wantError(t, 401, ClassAuthentication)
		if !strings.Contains(e["message"].(string), "did not sign it") {
			t.Errorf("a cookie of another server: %v", e)
		}
	}
	ts.get("admin", "/api/v1/operations").want(t, 200)
	for range 3 {
		ts.do(request{method: "GET", path: "/api/v1/operations", rawKey: "ak_guess"}).want(t, 401)
	}
	ts.do(request{method: "GET", path: "/api/v1/operations", rawKey: "ak_guess"}).wantError(t, 429, ClassRateLimited)
}

// Idle failure buckets are dropped, so the map does not grow without bound.
func TestAddrLimiterEvictsIdleEntries(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	a := newAddrLimiter(auth.Rate{PerSecond: 1, Burst: 5}, func() time.Time { return now })
	for i := 0; i < 1000; i++ {
		a.fail("10.0.0." + strconv.Itoa(i))
	}
	if a.size() != 1000 {
		t.Fatalf("size %d", a.size())
	}
	now = now.Add(10 * time.Minute)
	a.fail("10.9.9.9")
	if a.size() != 1 {
		t.Errorf("after the buckets refilled, %d addresses are kept, want 1", a.size())
	}
	for i := 0; i < 5; i++ {
		a.fail("10.9.9.9")
	}
	if wait := a.blocked("10.9.9.9"); wait <= 0 {
		t.Errorf("an address over its budget is not blocked")
	}
	if wait := a.blocked("10.1.1.1"); wait != 0 {
		t.Errorf("an unknown address is blocked for %s", wait)
	}
}

// The policy's per_key rate bounds each caller on its own.
func TestPerKeyRateLimit(t *testing.T) {
	ts := newTestServer(t)
	p, err := auth.ParsePolicy("p.yaml", []byte("version: 1\nroles: {ci: {inherits: [viewer]}}\nrate: {per_key: 3/m}\n"), ts.mgr.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	st := ts.srv.current().State
	st.Policy = p
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		ts.get("viewer", "/api/v1/playbooks").want(t, 200)
	}
	r := ts.get("viewer", "/api/v1/playbooks")
	e := r.wantError(t, 429, ClassRateLimited)
	if r.header.Get("Retry-After") == "" || !strings.Contains(e["message"].(string), "per_key") {
		t.Errorf("429: %v %v", r.header, e)
	}
	ts.get("operator", "/api/v1/playbooks").want(t, 200)
}

// Reload swaps keys and policy together, or changes nothing.
func TestReload(t *testing.T) {
	ts := newTestServer(t)
	key, digest, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseKeys("k.yaml", []byte("version: 1\nkeys:\n  - {name: new, sha256: "+digest+", roles: [viewer]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := ParseKeys("k.yaml", []byte("version: 1\nkeys:\n  - {name: new, sha256: "+digest+", roles: [nobody]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	st := ts.srv.current().State
	st.Keys = bad
	err = ts.srv.Reload(st)
	if err == nil || !strings.Contains(err.Error(), `k.yaml:3:99: unknown role "nobody"`) {
		t.Fatalf("reload with an unknown role: %v", err)
	}
	ts.get("admin", "/api/v1/playbooks").want(t, 200) // the old keys still work
	st.Keys = keys
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
	ts.get("admin", "/api/v1/playbooks").want(t, 401)
	ts.do(request{method: "GET", path: "/api/v1/playbooks", rawKey: key}).want(t, 200)
}

func TestKeysFile(t *testing.T) {
	key, digest, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, KeyPrefix) || len(key) < len(KeyPrefix)+32 {
		t.Errorf("key %q: want the ak_ prefix and at least 160 bits", key)
	}
	k, err := ParseKeys("keys.yaml", []byte("version: 1\nkeys:\n  - {name: ci, sha256: "+strings.ToUpper(digest)+", roles: [operator], expires: 2027-06-30}\ncerts:\n  - {subject: node-2, roles: [viewer]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := k.lookup(key); got == nil || got.name != "ci" || !got.expires.Equal(time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("lookup: %+v", got)
	}
	if k.lookup(key+"x") != nil || k.lookup("") != nil {
		t.Error("lookup matched a wrong key")
	}
	for _, tc := range []struct{ text, want string }{
		{"keys: []\n", "keys.yaml:1:1: missing version"},
		{"version: 1\nkeys:\n  - {name: ci, sha256: abc, roles: [x]}\n", "keys.yaml:3:24: sha256 must be the 64 hex digits"},
		{"version: 1\nkeys:\n  - {name: ci, sha256: " + digest + ", role: [x]}\n", `keys.yaml:3:90: unknown key "role" in a key (did you mean "roles"?)`},
		{"version: 1\nkeys:\n  - {name: a, sha256: " + digest + ", roles: [x]}\n  - {name: b, sha256: " + digest + ", roles: [x]}\n", `keys.yaml:4:23: this sha256 is also the key "a"'s`},
		{"version: 1\nkeys:\n  - {name: a, sha256: " + digest + ", roles: [x], expires: soon}\n", `keys.yaml:3:110: expires "soon"`},
		{"version: 1\nkeys:\n  - {name: a, sha256: " + digest + "}\n", "keys.yaml:3:5: a key needs name, sha256 and roles"},
		{"version: 1\ncerts:\n  - {roles: [x]}\n", "keys.yaml:3:5: a cert needs subject"},
		{"version: 1\nkeys: []\n---\nversion: 1\n", "a second YAML document"},
	} {
		_, err := ParseKeys("keys.yaml", []byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseKeys(%q) = %v\nwant an error containing %q", tc.text, err, tc.want)
		}
	}
}

// A request with two Authorization headers is refused, whichever holds a
// valid key: the server does not pick one for the client.
func TestTwoAuthorizationHeadersAreRefused(t *testing.T) {
	ts := newTestServer(t)
	for _, keys := range [][]string{
		{ts.keys["viewer"], ts.keys["admin"]},
		{ts.keys["admin"], "ak_not-a-key"},
		{ts.keys["admin"], ts.keys["admin"]},
	} {
		req, err := http.NewRequest("GET", ts.url+"/api/v1/operations", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			req.Header.Add("Authorization", "Bearer "+k)
		}
		res, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 401 || !strings.Contains(string(body), "send exactly one") {
			t.Errorf("two Authorization headers: %d %.200s; want 401 saying to send one", res.StatusCode, body)
		}
	}
}

// An IPv6 client's failed authentications count in its /64: a host
// holds a whole /64 and may send from any address of it, so that a new
// address for each guess would otherwise bring a fresh budget. Another
// /64 keeps its own.
func TestFailedAuthCountsAnIPv6NetworkAsOne(t *testing.T) {
	ts := newTestServer(t, behind("", "127.0.0.0/8"))
	for i := range 3 {
		xff := "2001:db8:1:2::" + strconv.Itoa(i+1)
		ts.do(request{method: "GET", path: "/api/v1/runs", rawKey: "ak_wrong", header: map[string]string{"X-Forwarded-For": xff}}).want(t, 401)
	}
	e := ts.do(request{method: "GET", path: "/api/v1/runs", rawKey: "ak_wrong", header: map[string]string{"X-Forwarded-For": "2001:db8:1:2:ffff::9"}}).wantError(t, 429, ClassRateLimited)
	if msg := fmt.Sprint(e["message"]); !strings.Contains(msg, "2001:db8:1:2:ffff::9 (counted with its network 2001:db8:1:2::/64)") {
		t.Errorf("the 429 does not say the address counts with its /64: %s", msg)
	}
	ts.do(request{method: "GET", path: "/api/v1/runs", key: "viewer", header: map[string]string{"X-Forwarded-For": "2001:db8:1:2:abcd::1"}}).wantError(t, 429, ClassRateLimited)
	ts.do(request{method: "POST", path: "/api/v1/session", body: map[string]any{"key": ts.keys["viewer"]},
		header: map[string]string{"X-Forwarded-For": "[2001:db8:1:2::77]:4431"}}).wantError(t, 429, ClassRateLimited)
	ts.do(request{method: "GET", path: "/api/v1/runs", key: "viewer", header: map[string]string{"X-Forwarded-For": "2001:db8:1:3::1"}}).want(t, 200)
	ts.do(request{method: "GET", path: "/api/v1/runs", key: "viewer", header: map[string]string{"X-Forwarded-For": "192.0.2.1"}}).want(t, 200)
	if n := ts.srv.fails.size(); n != 1 {
		t.Errorf("%d buckets kept, want the one of 2001:db8:1:2::/64", n)
	}
}

func TestBucketOf(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7":                 "192.0.2.7",
		"2001:db8::1":               "2001:db8::/64",
		"2001:db8:0:0:ffff:ffff::1": "2001:db8::/64",
		"fe80::1%eth0":              "fe80::/64",
		"::ffff:192.0.2.7":          "192.0.2.7",
		"not-an-address":            "not-an-address",
	} {
		if got := bucketOf(addr); got != want {
			t.Errorf("bucketOf(%q) = %q, want %q", addr, got, want)
		}
	}
}
