package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// behind returns a server option trusting the proxies of cidrs, reading
// header ("": X-Forwarded-For), with a failed-authentication bound of 3
// at once that does not refill within a test, and no tarpit.
func behind(header string, cidrs ...string) serverOption {
	return func(c *Config) {
		for _, s := range cidrs {
			c.Proxies.Trusted = append(c.Proxies.Trusted, netip.MustParsePrefix(s))
		}
		c.Proxies.Header = header
		c.Limits.AuthFailures = auth.Rate{PerSecond: 0.001, Burst: 3, Text: "3 at once"}
		c.Limits.AuthTarpit = -1
	}
}

// auditFrom returns the from of every line of the server's audit log.
func auditFrom(t *testing.T, ts *testServer) []string {
	t.Helper()
	data, err := os.ReadFile(ts.audit)
	if err != nil {
		t.Fatal(err)
	}
	var from []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		f, _ := m["from"].(string)
		from = append(from, f)
	}
	return from
}

func (ts *testServer) execLog(key string, header map[string]string) *resp {
	ts.t.Helper()
	return ts.do(request{method: "POST", path: "/api/v1/operations/control.log/execute", key: key,
		body: map[string]any{"params": map[string]any{"message": "hi"}}, header: header})
}

// A client that is not a trusted proxy cannot choose its address with
// X-Forwarded-For or Forwarded: its audit lines say where its connection
// comes from, and forging a new address on every guess does not give it a
// fresh failed-authentication bucket.
func TestForgedProxyHeadersFromUntrustedPeer(t *testing.T) {
	ts := newTestServer(t, behind("", "10.0.0.0/8"))
	forged := map[string]string{"X-Forwarded-For": "203.0.113.9", "Forwarded": "for=203.0.113.9;proto=https", "X-Forwarded-Proto": "https"}
	ts.execLog("operator", forged).want(t, 200)
	if from := auditFrom(t, ts); len(from) != 1 || from[0] != "127.0.0.1" {
		t.Fatalf("audit from = %q, want the connection's 127.0.0.1", from)
	}
	for i := range 3 {
		ip := fmt.Sprintf("198.51.100.%d", i+1)
		ts.do(request{method: "GET", path: "/api/v1/runs", rawKey: "ak_wrong", header: map[string]string{"X-Forwarded-For": ip, "Forwarded": "for=" + ip}}).want(t, 401)
	}
	ts.do(request{method: "GET", path: "/api/v1/runs", key: "viewer", header: map[string]string{"X-Forwarded-For": "198.51.100.99"}}).want(t, 429)
	// Nor does X-Forwarded-Proto make its sign-in cookie a secure one.
	res := ts.do(request{method: "POST", path: "/api/v1/session", body: map[string]any{"key": ts.keys["viewer"]}, header: forged})
	if res.status != 429 {
		t.Fatalf("sign-in from a blocked address answered %d", res.status)
	}
}

// Behind a trusted proxy, the client is the rightmost address of
// X-Forwarded-For that is not a trusted proxy: what the client wrote to
// the left of it changes nothing, and each client has its own bucket.
func TestTrustedProxyGivesTheClient(t *testing.T) {
	ts := newTestServer(t, behind("", "127.0.0.0/8", "10.0.0.0/8"))
	// The client forged 6.6.6.6; its proxy appended 203.0.113.9, and an
	// inner proxy 10.1.2.3. Forwarded is not the header this server reads.
	ts.execLog("operator", map[string]string{"X-Forwarded-For": "6.6.6.6, 203.0.113.9", "Forwarded": "for=7.7.7.7"}).want(t, 200)
	ts.do(request{method: "POST", path: "/api/v1/operations/control.log/execute", key: "operator",
		body:   map[string]any{"params": map[string]any{"message": "hi"}},
		header: map[string]string{"X-Forwarded-For": "6.6.6.6, 203.0.113.9, 10.1.2.3"}}).want(t, 200)
	ts.execLog("operator", nil).want(t, 200) // the proxy's own request
	if from := auditFrom(t, ts); strings.Join(from, " ") != "203.0.113.9 203.0.113.9 127.0.0.1" {
		t.Fatalf("audit from = %q, want 203.0.113.9 twice, then 127.0.0.1", from)
	}
	for i := range 3 {
		xff := fmt.Sprintf("192.0.2.%d, 203.0.113.9", i+1)
		ts.do(request{method: "GET", path: "/api/v1/runs", rawKey: "ak_wrong", header: map[string]string{"X-Forwarded-For": xff}}).want(t, 401)
	}
	e := ts.do(request{method: "GET", path: "/api/v1/runs", key: "viewer", header: map[string]string{"X-Forwarded-For": "192.0.2.77, 203.0.113.9"}}).wantError(t, 429, ClassRateLimited)
	if !strings.Contains(fmt.Sprint(e["message"]), "203.0.113.9") {
		t.Errorf("429 names no client address: %v", e["message"])
	}
	// Another client behind the same proxy, and the proxy itself, go on.
	ts.do(request{method: "GET", path: "/api/v1/runs", key: "viewer", header: map[string]string{"X-Forwarded-For": "203.0.113.10"}}).want(t, 200)
	ts.get("viewer", "/api/v1/runs").want(t, 200)
}

// With X-Forwarded-Proto: https from a trusted proxy, a sign-in gets the
// Secure __Host- cookie, as over TLS; the same header from a request the
// proxy did not send gets the plain one.
func TestTrustedProxyProto(t *testing.T) {
	for _, c := range []struct {
		name, header string
		trusted      string
		h            map[string]string
		want         string
	}{
		{"xff https", "", "127.0.0.1/32", map[string]string{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}, secureCookieName},
		{"xff http", "", "127.0.0.1/32", map[string]string{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http"}, cookieName},
		{"forwarded", HeaderForwarded, "127.0.0.1/32", map[string]string{"Forwarded": `for="[2001:db8::7]:4711";proto=https`, "X-Forwarded-Proto": "http"}, secureCookieName},
		{"untrusted", "", "10.0.0.0/8", map[string]string{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}, cookieName},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := newTestServer(t, behind(c.header, c.trusted))
			res := ts.do(request{method: "POST", path: "/api/v1/session", body: map[string]any{"key": ts.keys["operator"]}, header: c.h}).want(t, 201)
			cookies := (&http.Response{Header: res.header}).Cookies()
			if len(cookies) != 1 || cookies[0].Name != c.want || cookies[0].Secure != (c.want == secureCookieName) {
				t.Fatalf("cookies %v, want one named %s", cookies, c.want)
			}
		})
	}
}

// With Forwarded, the client is the rightmost for= outside the trusted
// proxies; X-Forwarded-For, which such a proxy passes on as the client
// wrote it, is not read.
func TestTrustedProxyForwarded(t *testing.T) {
	ts := newTestServer(t, behind(HeaderForwarded, "127.0.0.1/32"))
	ts.execLog("operator", map[string]string{
		"Forwarded":       `for=6.6.6.6, for="[2001:db8::7]:4711";proto=https`,
		"X-Forwarded-For": "7.7.7.7",
	}).want(t, 200)
	if from := auditFrom(t, ts); len(from) != 1 || from[0] != "2001:db8::7" {
		t.Fatalf("audit from = %q, want 2001:db8::7", from)
	}
}

func TestProxiesClient(t *testing.T) {
	p := &Proxies{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	fwd := &Proxies{Trusted: p.Trusted, Header: HeaderForwarded}
	for _, c := range []struct {
		p      *Proxies
		peer   string
		h      http.Header
		want   string
		https  bool
		copied bool
	}{
		{p, "10.0.0.1:5000", http.Header{"X-Forwarded-For": {"1.1.1.1, 2.2.2.2", "10.9.9.9"}}, "2.2.2.2", false, true},
		{p, "10.0.0.1:5000", http.Header{"X-Forwarded-For": {"10.5.5.5, 10.6.6.6"}}, "10.5.5.5", false, true},
		{p, "10.0.0.1:5000", http.Header{"X-Forwarded-For": {"1.1.1.1, garbage, 10.6.6.6"}}, "10.6.6.6", false, true},
		{p, "10.0.0.1:5000", http.Header{"X-Forwarded-For": {"[2001:db8::1]:80"}}, "2001:db8::1", false, true},
		{p, "10.0.0.1:5000", http.Header{"X-Forwarded-For": {"::ffff:1.2.3.4"}}, "1.2.3.4", false, true},
		{p, "10.0.0.1:5000", http.Header{"X-Forwarded-For": {"1.1.1.1, 2.2.2.2"}, "X-Forwarded-Proto": {"https, http"}}, "2.2.2.2", false, true},
		{p, "10.0.0.1:5000", http.Header{"X-Forwarded-For": {"1.1.1.1, 2.2.2.2, 10.1.1.1"}, "X-Forwarded-Proto": {"http, https"}}, "2.2.2.2", true, true},
		{p, "[::1]:5000", http.Header{"X-Forwarded-For": {"2.2.2.2"}}, "2.2.2.2", false, true},
		{p, "[::ffff:10.0.0.1]:5000", http.Header{"X-Forwarded-For": {"2.2.2.2"}}, "2.2.2.2", false, true},
		{p, "11.0.0.1:5000", http.Header{"X-Forwarded-For": {"2.2.2.2"}}, "", false, false},
		{p, "10.0.0.1:5000", http.Header{}, "", false, false},
		{fwd, "10.0.0.1:5000", http.Header{"Forwarded": {`for=unknown, for="_hidden"`}}, "10.0.0.1", false, true},
		{fwd, "10.0.0.1:5000", http.Header{"Forwarded": {`for="[2001:db8::1]:80";x="a,b", for=10.2.2.2;proto=https;by=10.0.0.1`}}, "2001:db8::1", false, true},
		{fwd, "10.0.0.1:5000", http.Header{"Forwarded": {`For=3.3.3.3;Proto=HTTPS`}}, "3.3.3.3", true, true},
		// A quote the client leaves open does not swallow the element its
		// proxy appended to the same line: the client is not 6.6.6.6.
		{fwd, "10.0.0.1:5000", http.Header{"Forwarded": {`for=6.6.6.6;x=", for=203.0.113.5`}}, "203.0.113.5", false, true},
		{fwd, "10.0.0.1:5000", http.Header{"Forwarded": {`for=6.6.6.6;proto=https;x="a\", for="[2001:db8::7]:4711";proto=http`}}, "2001:db8::7", false, true},
		{fwd, "10.0.0.1:5000", http.Header{"Forwarded": {`for="6.6.6.6, for=203.0.113.5`}}, "203.0.113.5", false, true},
	} {
		r := &http.Request{RemoteAddr: c.peer, Header: c.h}
		got, https, ok := c.p.client(r)
		if got != c.want || https != c.https || ok != c.copied {
			t.Errorf("%s %v: got %q https=%v ok=%v, want %q https=%v ok=%v", c.peer, c.h, got, https, ok, c.want, c.https, c.copied)
		}
	}
}

func TestParseTrustedProxy(t *testing.T) {
	for in, want := range map[string]string{"10.0.0.5": "10.0.0.5/32", "10.0.0.0/8": "10.0.0.0/8", "fd00::/64": "fd00::/64", "::1": "::1/128", "::ffff:10.0.0.0/104": "10.0.0.0/8"} {
		p, err := ParseTrustedProxy(in)
		if err != nil || p.String() != want {
			t.Errorf("%s: %v %v, want %s", in, p, err, want)
		}
	}
	for in, want := range map[string]string{"10.0.0.5/8": "write 10.0.0.0/8 for the range, or 10.0.0.5 for the one host", "proxy.internal": "host names are not resolved", "10.0.0.0/33": "not a CIDR range"} {
		if _, err := ParseTrustedProxy(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
	if _, err := CheckProxyHeader("X-Real-IP"); err == nil || !strings.Contains(err.Error(), "X-Forwarded-For") {
		t.Errorf("X-Real-IP: %v", err)
	}
}
