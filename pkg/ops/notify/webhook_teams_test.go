package notify

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTeamsLongTextFitsTeamsLimit: a Teams message whose text quotes a
// long output (40,000 characters, the most text takes, of characters JSON
// escapes and of several bytes) is cut to fit the 28 KB Teams takes, in
// its middle, with a note of the cut, and the rest of the card whole. Before, it was
// sent whole, Teams refused it (413), and the notification was lost.
func TestTeamsLongTextFitsTeamsLimit(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		if len(got) > 28<<10 {
			http.Error(w, "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413", http.StatusRequestEntityTooLarge)
		}
	}))
	defer srv.Close()
	text := "build failed:\n" + strings.Repeat("<error> in ünïcode ", 1900) + "the end"
	_, err := execute(t, registry(t), "notify.webhook", map[string]any{"url": srv.URL, "format": "teams", "title": "nightly failed",
		"text": text, "fields": map[string]any{"host": "db-1"}, "link": "https://ops.example/runs/1"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	for _, want := range []string{`"nightly failed"`, `"text":"build failed:\n\u003cerror\u003e in ünïcode`, `bytes cut; the run's report has the steps' whole outputs …\n`, `the end"`, `{"title":"host","value":"db-1"}`, `"https://ops.example/runs/1"`} {
		if !strings.Contains(s, want) {
			t.Errorf("the message lacks %s", want)
		}
	}
	if len(got) > teamsMaxBytes || len(got) < teamsMaxBytes-64 {
		t.Errorf("the message has %d bytes; want it cut to fit in %d, no shorter than it must", len(got), teamsMaxBytes)
	}
}
