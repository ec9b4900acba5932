package notify

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSlackEmptyTextStillSends: a Slack message whose text came out empty
// or blank (a step's empty output interpolated into it) is one Slack
// takes: no section of empty text, which Slack refuses ("invalid_blocks"),
// and a fallback text that is not empty.
func TestSlackEmptyTextStillSends(t *testing.T) {
	// A receiver that refuses what Slack refuses.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			Text   string `json:"text"`
			Blocks []struct {
				Type string `json:"type"`
				Text *struct {
					Text string `json:"text"`
				} `json:"text"`
			} `json:"blocks"`
		}
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &msg) != nil || strings.TrimSpace(msg.Text) == "" {
			http.Error(w, "no_text", http.StatusBadRequest)
			return
		}
		for _, bl := range msg.Blocks {
			if bl.Text != nil && strings.TrimSpace(bl.Text.Text) == "" {
				http.Error(w, "invalid_blocks", http.StatusBadRequest)
				return
			}
		}
	}))
	defer srv.Close()
	for _, params := range []map[string]any{
		{"text": "", "title": "nightly failed"},
		{"text": " \n", "fields": map[string]any{"host": "db-1"}},
		{"text": ""},
	} {
		params["url"], params["format"] = srv.URL, "slack"
		if _, err := execute(t, registry(t), "notify.webhook", params); err != nil {
			t.Errorf("%v: %v", params, err)
		}
	}
}
