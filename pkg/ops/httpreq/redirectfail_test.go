package httpreq

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestFailureAfterRedirectNamesWhere: a request that fails at the URL a
// redirect led to says so and names that URL, masked; it read as a
// failure of the step's own URL ("connection refused" for a port the step
// never gave, "unsupported protocol scheme" for an http:// URL).
func TestFailureAfterRedirectNamesWhere(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/refused":
			http.Redirect(w, r, "http://bob:hunter2@"+closed+"/x?access_token=t0ken", http.StatusFound)
		case "/ftp":
			http.Redirect(w, r, "ftp://"+closed+"/x", http.StatusFound)
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	r := newRegistry(t)
	for path, want := range map[string]string{
		"/refused": ": redirected to http://bob:***@" + closed + "/x?access_token=***: dial tcp",
		"/ftp":     ": redirected to ftp://" + closed + "/x: unsupported protocol scheme",
	} {
		_, err := opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": s.URL + path})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "t0ken") {
			t.Errorf("%s: want %q in %v", path, want, err)
		}
	}
	// The step's own URL is not said to be a redirect.
	_, err = opstest.Execute(r, context.Background(), "http.request", map[string]any{"url": "http://bob:pw@" + closed + "/own"})
	if err == nil || strings.Contains(err.Error(), "redirected") {
		t.Errorf("own URL: %v", err)
	}
}
