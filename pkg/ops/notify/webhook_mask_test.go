package notify

import (
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
