package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// A body over the limit is 413 saying the limit and what to do about it,
// whether the request said its length or sent more than the limit
// without saying it (chunked): a client cannot raise the limit, so
// "over the limit" alone leaves it nowhere to go.
func TestBodyTooLargeSaysWhatToDo(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Limits.MaxBodyBytes = 2 << 20 })
	big := `{"inputs": {"who": "` + strings.Repeat("x", 3<<20) + `"}}`
	const advice = "; send a smaller one: a value this large belongs in a file the playbook or the operation reads, not in the request"
	e := ts.do(request{method: "POST", path: "/api/v1/playbooks/hello/runs", key: "operator", body: big}).wantError(t, 413, ClassValidation)
	if msg, _ := e["message"].(string); msg != "the body is "+strconv.Itoa(len(big))+" bytes, over the limit of 2097152 bytes (2 MiB)"+advice {
		t.Errorf("with a Content-Length: %q", msg)
	}
	// io.MultiReader hides the length: the client sends it chunked.
	req, err := http.NewRequest("POST", ts.url+"/api/v1/playbooks/hello/runs", io.MultiReader(strings.NewReader(big)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+ts.keys["operator"])
	res, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got struct{ Error apiError }
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil || res.StatusCode != 413 {
		t.Fatalf("chunked: status %d, %v", res.StatusCode, err)
	}
	if got.Error.Message != "the body is over the limit of 2097152 bytes (2 MiB)"+advice {
		t.Errorf("chunked: %q", got.Error.Message)
	}
}
