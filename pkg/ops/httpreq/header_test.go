package httpreq

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestHeadersHTTPRefusesAreInvalidParams: a header name or value that
// net/http would refuse to send is a validation error naming the header,
// found by validate and never retried; it used to fail each attempt as an
// execution error. A value is never quoted: it may be a secret.
func TestHeadersHTTPRefusesAreInvalidParams(t *testing.T) {
	called := false
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		called = true
		io.WriteString(w, r.Header.Get("X-Note"))
	})
	r := newRegistry(t)
	for _, tc := range []struct {
		name, value string
		want        []string
	}{
		{"X-A", "tok\x01en", []string{"X-A", "control character"}},
		{"X-A", "tok\x7fen", []string{"X-A", "control character"}},
		{"X-Ü", "v", []string{`"X-Ü" is not a valid header name`}},
		{"X(A)", "v", []string{`"X(A)" is not a valid header name`}},
	} {
		_, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL, "headers": map[string]any{tc.name: tc.value}})
		opstest.WantValidation(t, tc.name, err, tc.want...)
		if err != nil && strings.Contains(err.Error(), "tok") {
			t.Errorf("%s: the error quotes the value: %v", tc.name, err)
		}
	}
	if called {
		t.Error("a request with a bad header was sent")
	}
	// A tab, and bytes past ASCII (sent as they are), are fine.
	out, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL, "headers": map[string]any{"X-Note": "a\tcafé"}})
	if err != nil || out["body"] != "a\tcafé" {
		t.Errorf("a tab and UTF-8: %v %v", out, err)
	}
}
