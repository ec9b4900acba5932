package httpreq

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestQueryParam: each value of query is escaped as one query value and
// added after the url's own query, kept as written; a list repeats the
// parameter and null leaves it out.
func TestQueryParam(t *testing.T) {
	var mu sync.Mutex
	var got string
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.RequestURI
		mu.Unlock()
	})
	raw := map[string]any{
		"url": srv.URL + "/search?keep=a%2Cb",
		"query": map[string]any{
			"q":    "x&admin=1 #y",
			"tag":  []any{"a/b", 2},
			"n":    3,
			"gone": nil,
		},
	}
	out, err := opstest.Execute(newRegistry(t), context.Background(), "http.request", raw)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := "/search?keep=a%2Cb&n=3&q=x%26admin%3D1+%23y&tag=a%2Fb&tag=2"; got != want {
		t.Errorf("the server was asked for %q, want %q", got, want)
	}
	if !strings.HasSuffix(out["url"].(string), "&tag=2") {
		t.Errorf("output url %v does not carry the query", out["url"])
	}
}

// TestQueryParamValidate: a value that is not text is refused by
// validate, naming the parameter and not the value; one still to be
// computed is left to the run.
func TestQueryParamValidate(t *testing.T) {
	err := (&Request{}).ValidateParams(ops.Params{"url": "https://x", "query": map[string]any{"q": map[string]any{"a": 1}, "later": ops.Deferred, "l": []any{ops.Deferred}}}, true)
	if err == nil || !strings.Contains(err.Error(), "q: want a string, a number, a bool or a list of them, got ") {
		t.Errorf("a map as a query value: %v", err)
	}
	if err := (&Request{}).ValidateParams(ops.Params{"url": "https://x", "query": map[string]any{"later": ops.Deferred, "l": []any{ops.Deferred, "a"}}}, false); err != nil {
		t.Errorf("values still to be computed: %v", err)
	}
}
