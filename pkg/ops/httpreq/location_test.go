package httpreq

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestBadLocationIsNotQuoted: a redirect to a Location that does not parse
// fails without quoting it, since a URL that cannot be parsed cannot have
// its password or token masked either.
func TestBadLocationIsNotQuoted(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://bob:hunter2@127.0.0.1:1^/x?access_token=t0ken")
		w.WriteHeader(http.StatusFound)
	})
	_, err := opstest.Execute(newRegistry(t), context.Background(), "http.request", map[string]any{"url": s.URL})
	if err == nil || ops.ClassOf(err) != ops.ClassExecution {
		t.Fatalf("error %v (class %s)", err, ops.ClassOf(err))
	}
	for _, leak := range []string{"hunter2", "t0ken"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("the error shows %s: %v", leak, err)
		}
	}
	for _, w := range []string{"Location", "not a valid URL", "follow_redirects: 0"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not say %q: %v", w, err)
		}
	}
}
