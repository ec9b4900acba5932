package notify

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWebhookURLHiddenInErrors: the webhook URL, a credential, is hidden
// in a connection error also when net/http reports it re-encoded (a
// password as ***, a space escaped), not as it was given.
func TestWebhookURLHiddenInErrors(t *testing.T) {
	srv := httptest.NewServer(nil)
	host := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	r := registry(t)
	for _, u := range []string{
		"http://u:pw@" + host + "/T000/B000/secret-token",
		"http://" + host + "/T000/B000/secret-token x",
	} {
		_, err := execute(t, r, "notify.webhook", map[string]any{"url": u, "text": "x"})
		if err == nil || strings.Contains(err.Error(), "secret-token") || !strings.Contains(err.Error(), host+"/***") {
			t.Errorf("url %q: error shows the webhook path: %v", u, err)
		}
	}
}

// TestWebhookAnswerQuotingTheURLIsMasked: an endpoint whose error answer
// quotes the path it was called at (with its token) shows neither the
// token nor the URL in the step's error or its output's body.
func TestWebhookAnswerQuotingTheURLIsMasked(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "internal error for %s (query %s, token %s, url http://%s%s)",
			r.URL.Path, r.URL.RawQuery, r.URL.Query().Get("sig"), r.Host, r.URL.RequestURI())
	}))
	defer srv.Close()
	u := srv.URL + "/500/services/hookT0ken4711?sig=sigVal0815abc"
	out, err := execute(t, registry(t), "notify.webhook", map[string]any{"url": u, "text": "x"})
	if err == nil {
		t.Fatal("a 500 answer passed")
	}
	for _, leak := range []string{"hookT0ken4711", "sigVal0815abc", "/500/services"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("the error shows %s: %v", leak, err)
		}
		if body, _ := out["body"].(string); strings.Contains(body, leak) {
			t.Errorf("output.body shows %s: %q", leak, body)
		}
	}
	if !strings.Contains(err.Error(), "internal error for ***") {
		t.Errorf("the error lost the answer: %v", err)
	}
}

// TestWebhookRedirectSaysItIsNotFollowed: a redirect without a body is
// explained (not followed; where it led, by host alone) without a
// dangling colon.
func TestWebhookRedirectSaysItIsNotFollowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://elsewhere.example/T1/B2/REDIRECTTOKEN")
		w.WriteHeader(http.StatusFound)
	}))
	defer srv.Close()
	_, err := execute(t, registry(t), "notify.webhook", map[string]any{"url": srv.URL + "/hook", "text": "x"})
	if err == nil {
		t.Fatal("a redirect passed")
	}
	msg := err.Error()
	if strings.HasSuffix(strings.TrimSpace(msg), ":") || !strings.Contains(msg, "not followed") ||
		!strings.Contains(msg, "elsewhere.example") || strings.Contains(msg, "REDIRECTTOKEN") {
		t.Errorf("got %q; want the redirect explained, its host named and no path", msg)
	}
}

// TestMaskAnswerRawQueryValues: a query value quoted as it was written
// (with + or an escape in another case) is masked as well as decoded.
func TestMaskAnswerRawQueryValues(t *testing.T) {
	for _, c := range []struct{ url, answer, secret string }{
		{"https://hooks.example/hook?sig=Ab+cD/eFgh12==", `{"error":"bad sig Ab+cD/eFgh12=="}`, "Ab+cD/eFgh12"},
		{"https://hooks.example/hook?sig=Ab%2bcD%2feFgh12", "bad sig Ab%2bcD%2feFgh12", "Ab%2bcD%2feFgh12"},
		{"https://hooks.example/hook?sig=Ab%2bcD%2feFgh12", "bad sig Ab%2BcD%2FeFgh12", "Ab%2BcD%2FeFgh12"},
		{"https://hooks.example/T0/B0%2Fx/SECRETPART", "no route for /T0/B0%2fx/SECRETPART", "SECRETPART"},
	} {
		if got := maskAnswer(c.answer, c.url); strings.Contains(got, c.secret) {
			t.Errorf("%s answered %q: masked to %q", c.url, c.answer, got)
		}
	}
}
