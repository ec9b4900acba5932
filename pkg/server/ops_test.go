package server

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestListOperations(t *testing.T) {
	ts := newTestServer(t)
	all := ts.get("viewer", "/api/v1/operations").want(t, 200).json(t)["operations"].([]any)
	if len(all) < 20 {
		t.Fatalf("%d operations listed", len(all))
	}
	var noop map[string]any
	for _, o := range all {
		if m := o.(map[string]any); m["name"] == "control.sleep" {
			noop = m
		}
	}
	if noop == nil || noop["category"] != "control" || noop["risk"] != "read" {
		t.Fatalf("control.sleep: %v", noop)
	}
	params := noop["params"].(map[string]any)
	if diff := cmp.Diff([]any{"duration"}, params["required"]); diff != "" {
		t.Errorf("required params (-want +got):\n%s", diff)
	}
	names := func(r *resp) []string {
		var out []string
		for _, o := range r.json(t)["operations"].([]any) {
			out = append(out, o.(map[string]any)["name"].(string))
		}
		return out
	}
	byCat := names(ts.get("viewer", "/api/v1/operations/supervisor").want(t, 200))
	if diff := cmp.Diff([]string{"supervisor.children", "supervisor.restart", "supervisor.stop"}, byCat); diff != "" {
		t.Errorf("category supervisor (-want +got):\n%s", diff)
	}
	if got := names(ts.get("viewer", "/api/v1/operations?category=control&q=sleep").want(t, 200)); !cmp.Equal(got, []string{"control.sleep"}) {
		t.Errorf("category control, q sleep: %v", got)
	}
	e := ts.get("viewer", "/api/v1/operations/nope").wantError(t, 404, ClassNotFound)
	if !strings.Contains(e["message"].(string), "control") {
		t.Errorf("404 does not list the categories: %v", e["message"])
	}
	ts.get("viewer", "/api/v1/operations?category=nope").wantError(t, 404, ClassNotFound)
	e = ts.get("viewer", "/api/v1/operations?colour=red").wantError(t, 400, ClassValidation)
	if e["field"] != "colour" {
		t.Errorf("field %v, want colour", e["field"])
	}
}

func TestExecute(t *testing.T) {
	ts := newTestServer(t)
	r := ts.post("operator", "/api/v1/operations/control.set/execute", map[string]any{"params": map[string]any{"x": 1, "who": "api"}}).want(t, 200).json(t)
	if r["status"] != "succeeded" || r["op"] != "control.set" {
		t.Errorf("answer %v", r)
	}
	if diff := cmp.Diff(map[string]any{"x": 1.0, "who": "api"}, r["result"]); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if id := r["run_id"].(string); len(id) < 32 {
		t.Errorf("run id %q is too short to be unguessable", id)
	}
	// The execute is a recorded run.
	rep := ts.get("viewer", "/api/v1/runs/"+r["run_id"].(string)).want(t, 200).json(t)
	if rep["status"] != "succeeded" {
		t.Errorf("its report: %v", rep["status"])
	}

	// A bad param names the param.
	e := ts.post("operator", "/api/v1/operations/control.sleep/execute", map[string]any{"params": map[string]any{"duration": "forever"}}).wantError(t, 400, ClassValidation)
	if e["field"] != "params.duration" {
		t.Errorf("field %v, want params.duration", e["field"])
	}
	e = ts.post("operator", "/api/v1/operations/control.log/execute", map[string]any{"params": map[string]any{}, "timeout": "-5s"}).wantError(t, 400, ClassValidation)
	if e["field"] != "timeout" {
		t.Errorf("field %v, want timeout", e["field"])
	}
	// An unknown op is 404.
	ts.post("operator", "/api/v1/operations/control.nope/execute", map[string]any{}).wantError(t, 404, ClassNotFound)
	// Denied: 403 with the deciding rule.
	e = ts.post("viewer", "/api/v1/operations/shell.exec/execute", map[string]any{"params": map[string]any{"command": []string{"true"}}}).wantError(t, 403, ClassAuthorization)
	if e["rule"] == "" || e["rule"] == nil {
		t.Errorf("403 without the rule: %v", e)
	}
	// The op ran and failed: 422 class execution.
	e = ts.post("operator", "/api/v1/operations/control.fail/execute", map[string]any{"params": map[string]any{"message": "boom"}}).wantError(t, 422, ClassExecution)
	if !strings.Contains(e["message"].(string), "boom") || e["run_id"] == nil {
		t.Errorf("422: %v", e)
	}
	// A timeout: 422 class timeout.
	ts.post("operator", "/api/v1/operations/control.sleep/execute", map[string]any{"params": map[string]any{"duration": "10s"}, "timeout": "100ms"}).wantError(t, 422, ClassTimeout)
}

// Each execute is audited with the key's name and the client address, its
// params masked.
func TestExecuteIsAudited(t *testing.T) {
	ts := newTestServer(t)
	ts.post("operator", "/api/v1/operations/control.log/execute", map[string]any{"params": map[string]any{"message": "audited"}}).want(t, 200)
	ts.post("viewer", "/api/v1/operations/shell.exec/execute", map[string]any{"params": map[string]any{"command": []string{"true"}}}).want(t, 403)
	data, err := os.ReadFile(ts.audit)
	if err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("%d audit lines, want 2:\n%s", len(lines), data)
	}
	for i, want := range []struct{ who, op, outcome string }{{"operator", "control.log", "succeeded"}, {"viewer", "shell.exec", "denied"}} {
		l := lines[i]
		if l["who"] != want.who || l["from"] != "127.0.0.1" || l["op"] != want.op || l["outcome"] != want.outcome {
			t.Errorf("audit line %d: %v", i, l)
		}
	}
}

// A param the op declares secret (a webhook's URL carries its token) is
// *** in the audit line, as in spans: an execute has no secret inputs
// for the run's masking to know it by.
func TestSecretParamsMaskedInTheAuditLog(t *testing.T) {
	ts := newTestServer(t)
	const secret = "T0KEN-5ecret-abc123"
	r := ts.post("operator", "/api/v1/operations/notify.webhook/execute",
		map[string]any{"params": map[string]any{"url": "http://127.0.0.1:1/hooks/" + secret, "text": "hi"}, "timeout": "5s"})
	if strings.Contains(string(r.body), secret) {
		t.Errorf("the answer holds the secret: %s", r.body)
	}
	data, err := os.ReadFile(ts.audit)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), secret) || !strings.Contains(string(data), `"url":"***"`) {
		t.Errorf("the audit line does not mask the secret param:\n%s", data)
	}
}

// A panicking operation is a 500, and the server goes on serving.
func TestPanickingOpIs500(t *testing.T) {
	ts := newTestServer(t)
	e := ts.post("admin", "/api/v1/operations/test.panic/execute", map[string]any{}).wantError(t, 500, ClassInternal)
	if !strings.Contains(e["message"].(string), "blew up") {
		t.Errorf("500: %v", e)
	}
	ts.post("admin", "/api/v1/operations/control.noop/execute", map[string]any{}).want(t, 200)
	ts.get("", "/healthz").want(t, 200)
}

// A panic in a handler itself is a 500 too; the server stays up.
func TestPanickingHandlerIs500(t *testing.T) {
	ts := newTestServer(t)
	boom := &route{method: "GET", path: "/boom", public: true, handle: func(http.ResponseWriter, *http.Request, *Principal) *apiError {
		panic("handler bug")
	}}
	ts.srv.mux.Handle("GET /boom", ts.srv.wrap(boom))
	r := ts.do(request{method: "GET", path: "/boom"})
	r.want(t, 500)
	if r.errBody(t)["class"] != "internal" {
		t.Errorf("answer %s", r.body)
	}
	ts.get("", "/healthz").want(t, 200)
	ts.get("viewer", "/api/v1/operations/control").want(t, 200)
}

func TestBatch(t *testing.T) {
	ts := newTestServer(t)
	r := ts.post("operator", "/api/v1/batch", map[string]any{"concurrency": 3, "operations": []any{
		map[string]any{"op": "control.set", "params": map[string]any{"i": 0}},
		map[string]any{"op": "control.fail", "params": map[string]any{"message": "no"}},
		map[string]any{"op": "shell.exec", "params": map[string]any{"command": []string{"true"}}},
		map[string]any{"op": "control.set", "params": map[string]any{"i": 3}},
		map[string]any{"op": "file.delete", "params": map[string]any{"path": "/nonexistent"}},
	}}).want(t, 200).json(t)
	var got []string
	for _, x := range r["results"].([]any) {
		m := x.(map[string]any)
		got = append(got, m["op"].(string)+":"+m["status"].(string))
	}
	want := []string{"control.set:succeeded", "control.fail:failed", "shell.exec:succeeded", "control.set:succeeded", "file.delete:denied"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results in request order (-want +got):\n%s", diff)
	}
	if res := r["results"].([]any)[3].(map[string]any)["result"]; !cmp.Equal(res, map[string]any{"i": 3.0}) {
		t.Errorf("item 3 result %v", res)
	}

	// Any bad item refuses the whole batch, naming it.
	e := ts.post("operator", "/api/v1/batch", map[string]any{"operations": []any{
		map[string]any{"op": "control.noop"}, map[string]any{"op": "control.sleep", "params": map[string]any{"duration": 5}},
	}}).wantError(t, 400, ClassValidation)
	if e["field"] != "operations[1].params.duration" {
		t.Errorf("field %v", e["field"])
	}
	e = ts.post("operator", "/api/v1/batch", map[string]any{"operations": []any{map[string]any{"op": "no.such"}}}).wantError(t, 400, ClassValidation)
	if e["field"] != "operations[0].op" {
		t.Errorf("field %v", e["field"])
	}
	// An API client is sent to the API's listing, as an execute's 404 sends
	// it, not to a command it may have no shell to type.
	if msg := e["message"].(string); !strings.Contains(msg, "GET /api/v1/operations lists them") || strings.Contains(msg, "arsenal-run ops list") {
		t.Errorf("a batch's unknown operation: %q, want it to name GET /api/v1/operations", msg)
	}
	many := make([]any, MaxBatch+1)
	for i := range many {
		many[i] = map[string]any{"op": "control.noop"}
	}
	ts.post("operator", "/api/v1/batch", map[string]any{"operations": many}).wantError(t, 400, ClassValidation)
	ts.post("operator", "/api/v1/batch", map[string]any{"operations": []any{}}).wantError(t, 400, ClassValidation)
	ts.post("operator", "/api/v1/batch", map[string]any{"operations": many[:1], "concurrency": 0.5}).wantError(t, 400, ClassValidation)
	// 0 is no default: the schema's minimum is 1.
	zero := ts.post("operator", "/api/v1/batch", map[string]any{"operations": many[:1], "concurrency": 0})
	zero.wantError(t, 400, ClassValidation)
	if !strings.Contains(string(zero.body), "concurrency 0: give 1 to 100, or leave it out for 10") {
		t.Errorf("concurrency 0: %s", zero.body)
	}
}

// Strict JSON: unknown fields, duplicate keys, trailing data and a wrong
// content type are 400; a body over the limit is 413.
func TestStrictJSON(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Limits.MaxBodyBytes = 4096 })
	exec := "/api/v1/operations/control.noop/execute"
	for _, tc := range []struct {
		name, body, ct, field string
	}{
		{"unknown field", `{"params": {}, "timout": "5s"}`, "", "timout"},
		{"case-folded field", `{"Params": {}}`, "", "Params"},
		{"duplicate key", `{"params": {}, "params": {}}`, "", "params"},
		{"duplicate nested key", `{"params": {"a": 1, "a": 2}}`, "", "params.a"},
		{"trailing data", `{"params": {}} {"params": {}}`, "", ""},
		{"trailing garbage", `{"params": {}}x`, "", ""},
		{"not an object", `[1, 2]`, "", ""},
		{"wrong type", `{"params": "x"}`, "", "params"},
		{"empty", ``, "", ""},
		{"wrong content type", `{"params": {}}`, "text/plain", ""},
		{"form", `params=1`, "application/x-www-form-urlencoded", ""},
		{"invalid UTF-8 in a value", "{\"params\": {\"message\": \"a\xffb\"}}", "", "params.message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(request{method: "POST", path: exec, key: "operator", body: tc.body, contentType: tc.ct})
			if tc.body == "" {
				r = ts.do(request{method: "POST", path: exec, key: "operator", header: map[string]string{"Content-Type": "application/json"}})
			}
			e := r.wantError(t, 400, ClassValidation)
			if tc.field != "" && e["field"] != tc.field {
				t.Errorf("field %v, want %s", e["field"], tc.field)
			}
		})
	}
	// A duplicate key says where it is, as a syntax error does.
	e := ts.do(request{method: "POST", path: exec, key: "operator", body: "{\"params\": {},\n  \"params\": {}}"}).wantError(t, 400, ClassValidation)
	if msg, _ := e["message"].(string); !strings.Contains(msg, "line 2, column 3") {
		t.Errorf("the duplicate key's message %q does not say where it is (line 2, column 3)", msg)
	}
	big := `{"params": {"message": "` + strings.Repeat("x", 5000) + `"}}`
	ts.do(request{method: "POST", path: "/api/v1/operations/control.log/execute", key: "operator", body: big}).wantError(t, 413, ClassValidation)
	ts.post("operator", exec, map[string]any{"params": map[string]any{}}).want(t, 200)
}

// Per-operation rates from the policy answer 429 with Retry-After.
func TestOpRateLimit(t *testing.T) {
	ts := newTestServer(t)
	for i := 0; i < 2; i++ {
		ts.post("operator", "/api/v1/operations/control.fail/execute", map[string]any{}).want(t, 422)
	}
	r := ts.post("operator", "/api/v1/operations/control.fail/execute", map[string]any{})
	e := r.wantError(t, 429, ClassRateLimited)
	if r.header.Get("Retry-After") == "" || !strings.Contains(e["message"].(string), "rate.ops.control.fail") {
		t.Errorf("429 without Retry-After or the rule: %v %v", r.header, e)
	}
	// Other ops are not limited.
	ts.post("operator", "/api/v1/operations/control.noop/execute", map[string]any{}).want(t, 200)
}

// TestOpRateSpentOnlyByCallsThatRun: a call refused for its request or by
// the policy does not spend the operation's rate, which limits
// executions: a caller who may not run an operation cannot use up the
// executions of those who may.
func TestOpRateSpentOnlyByCallsThatRun(t *testing.T) {
	ts := newTestServer(t)
	for i := 0; i < 3; i++ {
		ts.post("operator", "/api/v1/operations/control.fail/execute", map[string]any{"params": map[string]any{"nope": 1}}).want(t, 400)
	}
	for i := 0; i < 2; i++ {
		ts.post("operator", "/api/v1/operations/control.fail/execute", map[string]any{}).want(t, 422)
	}
	ts.post("operator", "/api/v1/operations/control.fail/execute", map[string]any{}).wantError(t, 429, ClassRateLimited)
}

// playbook.run is not an operation of its own through the API: executed
// alone it would run a playbook without a run slot or the checks of a
// run, and its errors would tell which files exist where serve runs. The
// answer is the same whether the file exists or not.
func TestPlaybookRunIsNotExecutedAlone(t *testing.T) {
	ts := newTestServer(t)
	var messages []string
	for _, path := range []string{"hello.yaml", "no-such-file.yaml", "/etc/passwd"} {
		e := ts.post("admin", "/api/v1/operations/playbook.run/execute", map[string]any{"params": map[string]any{"path": path}}).wantError(t, 400, ClassValidation)
		messages = append(messages, e["message"].(string))
	}
	if messages[0] != messages[1] || messages[1] != messages[2] || !strings.Contains(messages[0], "/api/v1/playbooks/{name}/runs") {
		t.Errorf("the answers differ or do not say what to do instead:\n%s", strings.Join(messages, "\n"))
	}
	e := ts.post("admin", "/api/v1/batch", map[string]any{"operations": []any{
		map[string]any{"op": "control.noop"}, map[string]any{"op": "playbook.run", "params": map[string]any{"path": "hello.yaml"}},
	}}).wantError(t, 400, ClassValidation)
	if e["field"] != "operations[1].op" {
		t.Errorf("batch: field %v, want operations[1].op", e["field"])
	}
	for _, o := range ts.get("admin", "/api/v1/operations?category=playbook").want(t, 200).json(t)["operations"].([]any) {
		if m := o.(map[string]any); m["name"] == "playbook.run" {
			if d := m["decision"].(map[string]any); d["allowed"] != false || !strings.Contains(d["rule"].(string), "step of a playbook") {
				t.Errorf("the listing offers playbook.run to execute: %v", d)
			}
			return
		}
	}
	t.Error("playbook.run is not listed")
}

// TestIntegersUpTo2To53AreExact: the largest integer a request keeps
// exactly goes through unchanged; one beyond it, which decoding would
// round (9007199254740993 ran as 9007199254740992), is refused, naming
// its field.
func TestIntegersUpTo2To53AreExact(t *testing.T) {
	ts := newTestServer(t)
	set := "/api/v1/operations/control.set/execute"
	for body, field := range map[string]string{
		`{"params": {"x": 9007199254740993}}`:              "params.x",
		`{"params": {"a": [1, -12345678901234567890123]}}`: "params.a[1]",
	} {
		e := ts.do(request{method: "POST", path: set, key: "operator", body: body}).wantError(t, 400, ClassValidation)
		if e["field"] != field || !strings.Contains(e["message"].(string), "beyond the integers a request keeps exactly") {
			t.Errorf("%s: %v; want field %s", body, e, field)
		}
	}
	r := ts.post("operator", "/api/v1/operations/control.set/execute", map[string]any{"params": map[string]any{"x": int64(9007199254740991)}})
	r.want(t, 200)
	if !strings.Contains(string(r.body), `"x":9007199254740991`) {
		t.Errorf("answer: %s", r.body)
	}
}

// TestWholeNumberFieldsSaySo: 10.0 given where a whole number goes is
// refused saying so, not "want a number".
func TestWholeNumberFieldsSaySo(t *testing.T) {
	ts := newTestServer(t)
	body := `{"operations": [{"op": "control.noop"}], "concurrency": 10.0}`
	e := ts.do(request{method: "POST", path: "/api/v1/batch", key: "operator", body: body}).wantError(t, 400, ClassValidation)
	if e["field"] != "concurrency" || !strings.Contains(e["message"].(string), "a whole number") {
		t.Errorf("%v", e)
	}
}
