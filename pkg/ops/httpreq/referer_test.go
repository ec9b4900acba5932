package httpreq

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestRefererStaysOnTheHost: a redirect to another host does not carry
// the Referer the HTTP client adds, which would hand the other host the
// URL the step called, token-like query parameters and all. A redirect on
// the same host keeps it.
func TestRefererStaysOnTheHost(t *testing.T) {
	got := make(chan string, 2)
	other := server(t, func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Referer")
		io.WriteString(w, "landed")
	})
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, otherURL+"/landing", http.StatusFound)
		case "/home":
			http.Redirect(w, r, "/final", http.StatusFound)
		default:
			got <- r.Header.Get("Referer")
		}
	})
	r := newRegistry(t)
	for _, tc := range []struct {
		name, path string
		headers    map[string]any
		keep       bool
	}{
		{"another host", "/away", nil, false},
		{"another host, Referer set by the step", "/away", map[string]any{"Referer": s.URL + "/away?access_token=tok3n"}, false},
		{"the same host", "/home", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := map[string]any{"url": s.URL + tc.path + "?access_token=tok3n&page=2"}
			if tc.headers != nil {
				raw["headers"] = tc.headers
			}
			if _, err := opstest.Execute(r, context.Background(), "http.request", raw); err != nil {
				t.Fatal(err)
			}
			ref := <-got
			if tc.keep != (ref != "") {
				t.Errorf("Referer %q; want one: %v", ref, tc.keep)
			}
			if !tc.keep && strings.Contains(ref, "tok3n") {
				t.Errorf("the other host got the token in the Referer %q", ref)
			}
		})
	}
}
