package notify

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWebhookRateLimitedIsSentAgainOnce: an endpoint that answers 429
// with a Retry-After that ends before the timeout gets the message once
// more after that wait, and the step succeeds; before, the message was
// lost. A Retry-After past the timeout, or none, fails the step at once,
// and a second 429 is not waited for again.
func TestWebhookRateLimitedIsSentAgainOnce(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	limited := 1 // how many requests are answered 429
	after := "1"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, string(b))
		if len(bodies) <= limited {
			if after != "" {
				w.Header().Set("Retry-After", after)
			}
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, "rate_limited")
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	send := func(timeout string) (map[string]any, error) {
		mu.Lock()
		bodies = nil
		mu.Unlock()
		return execute(t, registry(t), "notify.webhook", map[string]any{"url": srv.URL + "/hook/TOKEN", "text": "disk full", "timeout": timeout})
	}

	out, err := send("30s")
	if err != nil || out["status"] != 200 {
		t.Fatalf("429 then 200: %v, %v", out, err)
	}
	if len(bodies) != 2 || bodies[0] != bodies[1] || !strings.Contains(bodies[1], "disk full") {
		t.Errorf("the endpoint got %q; want the same message twice", bodies)
	}

	for _, tc := range []struct{ name, after, timeout string }{
		{"Retry-After past the timeout", "120", "30s"},
		{"no Retry-After", "", "30s"},
		{"an HTTP date past the timeout", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), "30s"},
	} {
		after = tc.after
		_, err := send(tc.timeout)
		if err == nil || !strings.Contains(err.Error(), "429") || len(bodies) != 1 {
			t.Errorf("%s: %v after %d requests; want the 429 at once", tc.name, err, len(bodies))
		}
	}

	after, limited = "0", 5
	_, err = send("30s")
	if err == nil || !strings.Contains(err.Error(), "429") || len(bodies) != 2 {
		t.Errorf("429 twice: %v after %d requests; want it sent again once only", err, len(bodies))
	}
}
