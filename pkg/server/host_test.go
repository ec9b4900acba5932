package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestProcesses(t *testing.T) {
	ts := newTestServer(t)
	// Start a process under the shared supervisor.
	started := ts.post("operator", "/api/v1/processes", map[string]any{"command": []string{"sleep", "300"}, "name": "workers", "restart": "never"}).want(t, 201).json(t)
	pid := int(started["pid"].(float64))
	if started["id"] != "workers" || pid <= 1 {
		t.Fatalf("started %v", started)
	}
	// It is listed, described, and its supervisor lists it.
	list := ts.get("viewer", fmt.Sprintf("/api/v1/processes?name_regex=%s&limit=50", "^sleep$")).want(t, 200).json(t)
	found := false
	for _, p := range list["processes"].([]any) {
		if int(p.(map[string]any)["pid"].(float64)) == pid {
			found = true
		}
	}
	if !found {
		t.Errorf("process %d not listed: %v", pid, list)
	}
	info := ts.get("viewer", fmt.Sprintf("/api/v1/processes/%d", pid)).want(t, 200).json(t)
	if info["name"] != "sleep" {
		t.Errorf("process.info %v", info)
	}
	sups := ts.get("viewer", "/api/v1/supervisors").want(t, 200).json(t)["supervisors"].([]any)
	if len(sups) != 1 || sups[0].(map[string]any)["id"] != "workers" || len(sups[0].(map[string]any)["children"].([]any)) != 1 {
		t.Errorf("supervisors %v", sups)
	}
	kids := ts.get("viewer", "/api/v1/supervisors/workers/children").want(t, 200).json(t)["children"].([]any)
	if len(kids) != 1 || int(kids[0].(map[string]any)["pid"].(float64)) != pid {
		t.Errorf("children %v", kids)
	}
	// Restart is destructive: the operator may not; an admin may.
	ts.post("operator", "/api/v1/supervisors/workers/restart", nil).wantError(t, 403, ClassAuthorization)
	restarted := ts.post("admin", "/api/v1/supervisors/workers/restart", nil).want(t, 200).json(t)["restarted"].([]any)
	if len(restarted) != 1 {
		t.Fatalf("restarted %v", restarted)
	}
	newPID := int(restarted[0].(float64))
	ts.get("viewer", "/api/v1/supervisors/nope/children").wantError(t, 404, ClassNotFound)
	ts.post("admin", "/api/v1/supervisors/nope/restart", nil).wantError(t, 404, ClassNotFound)

	// Killing is destructive too.
	ts.do(request{method: "DELETE", path: fmt.Sprintf("/api/v1/processes/%d", newPID), key: "operator"}).wantError(t, 403, ClassAuthorization)
	killed := ts.do(request{method: "DELETE", path: fmt.Sprintf("/api/v1/processes/%d?signal=KILL", newPID), key: "admin"}).want(t, 200).json(t)
	if !cmp.Equal(killed["signalled"], []any{float64(newPID)}) {
		t.Errorf("signalled %v", killed)
	}
	eventually(t, "the killed process to go", func() bool {
		return ts.get("viewer", fmt.Sprintf("/api/v1/processes/%d", newPID)).status == 404
	})
	// A pid no process has is named as process.signal names it, with
	// what was not done and where the pids that are may be found.
	free := unusedPID(t)
	e := ts.do(request{method: "DELETE", path: "/api/v1/processes/" + strconv.Itoa(free), key: "admin"}).wantError(t, 404, ClassNotFound)
	want := fmt.Sprintf("no process with pid %d: it has exited, or the pid is wrong, and nothing was signalled (GET /api/v1/processes lists what runs now)", free)
	if e["message"] != want || e["field"] != "pid" || e["run_id"] == nil {
		t.Errorf("DELETE of a pid no process has: %v\nwant message %q, field pid and the run recorded", e, want)
	}
	e = ts.get("viewer", "/api/v1/processes/"+strconv.Itoa(free)).wantError(t, 404, ClassNotFound)
	want = fmt.Sprintf("no process with pid %d: it has exited, or the pid is wrong (GET /api/v1/processes lists what runs now)", free)
	if e["message"] != want || e["field"] != "pid" {
		t.Errorf("GET of a pid no process has: %v\nwant message %q and field pid", e, want)
	}
	ts.do(request{method: "DELETE", path: "/api/v1/processes/4294967297", key: "admin"}).wantError(t, 400, ClassValidation)
	ts.do(request{method: "DELETE", path: fmt.Sprintf("/api/v1/processes/%d?signal=BOOM", newPID), key: "admin"}).wantError(t, 400, ClassValidation)
	ts.get("viewer", "/api/v1/processes/abc").wantError(t, 400, ClassValidation)

	// Bad bodies.
	e = ts.post("operator", "/api/v1/processes", map[string]any{"command": []string{"sleep", "1"}, "name": "Bad Name"}).wantError(t, 400, ClassValidation)
	if e["field"] != "name" {
		t.Errorf("field %v", e["field"])
	}
	ts.post("operator", "/api/v1/processes", map[string]any{"name": "x"}).wantError(t, 400, ClassValidation)
	ts.post("viewer", "/api/v1/processes", map[string]any{"command": []string{"sleep", "1"}}).wantError(t, 403, ClassAuthorization)
	// A missing program or working directory is the caller's mistake,
	// never retried: 400 naming the field.
	e = ts.post("operator", "/api/v1/processes", map[string]any{"command": []string{"/no/such/program"}}).wantError(t, 400, ClassValidation)
	if e["field"] != "command" || !strings.Contains(fmt.Sprint(e["message"]), "/no/such/program") {
		t.Errorf("missing program: %v", e)
	}
	e = ts.post("operator", "/api/v1/processes", map[string]any{"command": []string{"sleep", "1"}, "dir": "/no/such/dir"}).wantError(t, 400, ClassValidation)
	if e["field"] != "dir" || !strings.Contains(fmt.Sprint(e["message"]), "/no/such/dir") {
		t.Errorf("missing dir: %v", e)
	}
}

func TestCluster(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"ok","version":"1.2.3","ops":7}`)
	}))
	defer up.Close()
	nodes := []any{map[string]any{"name": "a", "url": up.URL + "/healthz"}, map[string]any{"name": "b", "address": "127.0.0.1:1"}}
	ts := newTestServer(t, func(c *Config) { c.Nodes = nodes })
	health := ts.get("viewer", "/api/v1/cluster/health").want(t, 200).json(t)
	if health["status"] != "degraded" || health["up"] != 1.0 {
		t.Errorf("health %v", health)
	}
	topo := ts.get("viewer", "/api/v1/cluster/topology").want(t, 200).json(t)
	first := topo["nodes"].([]any)[0].(map[string]any)
	if !cmp.Equal(first["arsenal"], map[string]any{"version": "1.2.3", "ops": 7.0}) {
		t.Errorf("topology node %v", first)
	}
	none := newTestServer(t)
	none.get("viewer", "/api/v1/cluster/health").wantError(t, 404, ClassNotFound)
}

func TestStats(t *testing.T) {
	ts := newTestServer(t)
	for i := 0; i < 3; i++ {
		ts.post("operator", "/api/v1/operations/control.noop/execute", map[string]any{}).want(t, 200)
	}
	ts.post("operator", "/api/v1/operations/control.fail/execute", map[string]any{}).want(t, 422)
	stats := ts.get("viewer", "/api/v1/stats/operations?range=1h").want(t, 200).json(t)["operations"].([]any)
	got := map[string][2]float64{}
	for _, s := range stats {
		m := s.(map[string]any)
		got[m["op"].(string)] = [2]float64{m["count"].(float64), m["errors"].(float64)}
	}
	want := map[string][2]float64{"control.noop": {3, 0}, "control.fail": {1, 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	ts.get("viewer", "/api/v1/stats/operations?range=7d").want(t, 200)
	ts.get("viewer", "/api/v1/stats/operations?range=-1h").wantError(t, 400, ClassValidation)
	ts.get("viewer", "/api/v1/stats/operations?range=400d").wantError(t, 400, ClassValidation)
}

func TestHealthzMetricsAndUnknownPaths(t *testing.T) {
	ts := newTestServer(t)
	h := ts.get("", "/healthz").want(t, 200).json(t)
	if h["status"] != "ok" || h["version"] != "test" || h["ops"].(float64) < 20 {
		t.Errorf("healthz %v", h)
	}
	ts.get("", "/metrics").wantError(t, 401, ClassAuthentication)
	ts.post("operator", "/api/v1/operations/control.noop/execute", map[string]any{}).want(t, 200)
	m := ts.get("viewer", "/metrics").want(t, 200)
	for _, want := range []string{
		`arsenal_http_requests_total{code="200",route="POST /api/v1/operations/{name}/execute"} 1`,
		`arsenal_http_requests_total{code="401",route="GET /metrics"} 1`,
		`arsenal_executions_total{op="control.noop",outcome="succeeded"} 1`,
		`arsenal_run_queue_depth 0`,
		`arsenal_auth_failures_total{reason="missing"} 1`,
		`arsenal_http_request_duration_seconds_bucket{route="GET /healthz"`,
	} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	ts.post("operator", "/api/v1/playbooks/hello/runs?wait=30s", map[string]any{}).want(t, 200)
	eventually(t, "the run to be counted", func() bool {
		return strings.Contains(string(ts.get("viewer", "/metrics").body), `arsenal_runs_total{playbook="hello",status="succeeded"} 1`)
	})
	public := newTestServer(t, func(c *Config) { c.PublicMetrics = true })
	public.get("", "/metrics").want(t, 200)
	// Public, a key sent in its URL is still refused, to be replaced.
	public.get("", "/metrics?token=ak_in_a_url").wantError(t, 401, ClassAuthentication)
	public.get("", "/metrics?a=1;b=2").wantError(t, 400, ClassValidation)

	ts.get("viewer", "/api/v1/nope").wantError(t, 404, ClassNotFound)
	r := ts.do(request{method: "DELETE", path: "/api/v1/runs", key: "viewer"})
	r.wantError(t, 405, ClassNotFound)
	if r.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("Allow %q; a GET route answers HEAD too", r.header.Get("Allow"))
	}
}

// The OpenAPI document has exactly the server's routes; the other tests
// check their answers against its schemas.
func TestOpenAPIDocument(t *testing.T) {
	ts := newTestServer(t)
	doc := ts.get("", "/api/v1/openapi.json").want(t, 200).json(t)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi %v", doc["openapi"])
	}
	var documented, routed []string
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, rt := range ts.srv.routes {
		routed = append(routed, rt.method+" "+rt.path)
		// Every route is really served: the mux sends its pattern to it.
		req := httptest.NewRequest(rt.method, strings.NewReplacer("{category}", "control", "{name}", "x", "{id}", "x", "{pid}", "1").Replace(rt.path), nil)
		if _, pattern := ts.srv.mux.Handler(req); pattern != rt.method+" "+rt.path {
			t.Errorf("%s %s is served by %q", rt.method, rt.path, pattern)
		}
	}
	slices.Sort(documented)
	slices.Sort(routed)
	if diff := cmp.Diff(routed, documented); diff != "" {
		t.Errorf("documented routes (-served +documented):\n%s", diff)
	}
	want := []string{
		"GET /api/v1/operations", "GET /api/v1/operations/{category}", "POST /api/v1/operations/{name}/execute", "POST /api/v1/batch",
		"GET /api/v1/playbooks", "GET /api/v1/playbooks/{name}", "POST /api/v1/playbooks/{name}/runs",
		"GET /api/v1/runs", "GET /api/v1/runs/{id}", "GET /api/v1/runs/{id}/events", "POST /api/v1/runs/{id}/cancel",
		"GET /api/v1/processes", "POST /api/v1/processes", "GET /api/v1/processes/{pid}", "DELETE /api/v1/processes/{pid}",
		"GET /api/v1/supervisors", "GET /api/v1/supervisors/{id}/children", "POST /api/v1/supervisors/{id}/restart",
		"GET /api/v1/cluster/health", "GET /api/v1/cluster/topology", "GET /api/v1/stats/operations",
		"GET /healthz", "GET /metrics", "GET /api/v1/openapi.json",
		// The web console's.
		"POST /api/v1/session", "GET /api/v1/session", "DELETE /api/v1/session", "POST /api/v1/playbooks/{name}/preflight",
		"GET /api/v1/runs/{id}/timeline.svg", "GET /api/v1/runs/{id}/questions", "POST /api/v1/runs/{id}/confirm",
		"GET /api/v1/schedules", "POST /api/v1/schedules/{name}/pause", "POST /api/v1/schedules/{name}/resume",
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, routed); diff != "" {
		t.Errorf("the issue's endpoints (-want +served):\n%s", diff)
	}
	// Every component schema compiles.
	for name := range doc["components"].(map[string]any)["schemas"].(map[string]any) {
		if _, err := compiledSchema(ts.srv.OpenAPI(), name); err != nil {
			t.Error(err)
		}
	}
}

// An execute that takes longer than the server's read and write timeouts
// still gets its answer: it lifts them for itself.
func TestLongExecuteOutlivesTimeouts(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.Limits.ReadTimeout = 300 * time.Millisecond
		c.Limits.WriteTimeout = 300 * time.Millisecond
	})
	r := ts.post("operator", "/api/v1/operations/control.sleep/execute", map[string]any{"params": map[string]any{"duration": "1s"}, "timeout": "5s"}).want(t, 200).json(t)
	if r["status"] != "succeeded" {
		t.Errorf("answer %v", r)
	}
}

func TestOnlyPassedEnvironment(t *testing.T) {
	os.Setenv("ARSENAL_TEST_SECRET", "hunter2")
	defer os.Unsetenv("ARSENAL_TEST_SECRET")
	ts := newTestServer(t)
	r := ts.post("operator", "/api/v1/operations/control.set/execute", map[string]any{"params": map[string]any{"x": "${{ env.ARSENAL_TEST_SECRET }}"}}).want(t, 200).json(t)
	if strings.Contains(fmt.Sprint(r), "hunter2") {
		t.Errorf("the server's environment reached an execute: %v", r)
	}
	out := ts.post("admin", "/api/v1/operations/shell.exec/execute", map[string]any{"params": map[string]any{"command": []string{"env"}}}).want(t, 200).json(t)
	if stdout := out["result"].(map[string]any)["stdout"].(string); strings.Contains(stdout, "hunter2") || !strings.Contains(stdout, "PATH=") {
		t.Errorf("the process saw: %s", stdout)
	}
}

// Headers are bounded; run ids carry 128 random bits; once the manager
// shuts down, executes and runs are 503 with Retry-After.
func TestBoundsIdsAndShutdown(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Limits.MaxHeaderBytes = 4096 })
	r := ts.do(request{method: "GET", path: "/healthz", header: map[string]string{"X-Big": strings.Repeat("x", 16<<10)}})
	if r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a 16 KiB header: %d, want 431", r.status)
	}
	id := ts.post("operator", "/api/v1/operations/control.noop/execute", map[string]any{}).want(t, 200).json(t)["run_id"].(string)
	_, random, _ := strings.Cut(id, "-")
	if len(random) != 32 || strings.Trim(random, "0123456789abcdef") != "" {
		t.Errorf("run id %q: want 32 random hex digits after the time", id)
	}
	now, cancel := context.WithCancel(context.Background())
	cancel()
	ts.mgr.Shutdown(now)
	for _, path := range []string{"/api/v1/operations/control.noop/execute", "/api/v1/playbooks/hello/runs"} {
		r := ts.post("operator", path, map[string]any{})
		r.wantError(t, 503, ClassUnavailable)
		if r.header.Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", path)
		}
	}
}

// unusedPID returns a pid within the host's range that no process has.
func unusedPID(t *testing.T) int {
	t.Helper()
	max := 1 << 22
	if b, err := os.ReadFile("/proc/sys/kernel/pid_max"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			max = n
		}
	}
	for pid := max - 1; pid > max/2; pid-- {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			return pid
		}
	}
	t.Skip("no unused pid found")
	return 0
}

// TestProcessEndpointsNameTheirOwnFields: a bad query parameter or path
// value of the process endpoints is named as the caller sent it, not as
// the operation's param under "params".
func TestProcessEndpointsNameTheirOwnFields(t *testing.T) {
	ts := newTestServer(t)
	for path, field := range map[string]string{
		"/api/v1/processes?name_regex=(&limit=1": "name_regex",
		"/api/v1/processes?limit=-5":             "limit",
	} {
		if e := ts.get("viewer", path).wantError(t, 400, ClassValidation); e["field"] != field {
			t.Errorf("GET %s: field %v, want %s", path, e["field"], field)
		}
	}
}

// TestExecuteRefusedByTheOpIs400: an operation that refuses what it was
// given when it runs (a working directory that is not there) answers 400,
// class validation, as every validation error does; 422 is for an
// operation that ran and failed.
func TestExecuteRefusedByTheOpIs400(t *testing.T) {
	ts := newTestServer(t)
	ts.post("operator", "/api/v1/operations/process.start/execute", map[string]any{"params": map[string]any{"command": []string{"/bin/true"}, "dir": "/nonexistent-dir"}}).wantError(t, 400, ClassValidation)
	ts.post("operator", "/api/v1/processes", map[string]any{"command": []string{"/bin/true"}, "dir": "/nonexistent-dir"}).wantError(t, 400, ClassValidation)
}

// TestPublicRoutesReadTheirQuery: the routes that need no key refuse
// unknown query parameters as every route does, and a key sent in their
// URL, so that whoever sent it learns to replace it.
func TestPublicRoutesReadTheirQuery(t *testing.T) {
	ts := newTestServer(t)
	for _, path := range []string{"/healthz", "/api/v1/openapi.json"} {
		ts.get("", path+"?foo=1").wantError(t, 400, ClassValidation)
		ts.get("", path+"?api_key="+ts.keys["viewer"]).wantError(t, 401, ClassAuthentication)
		ts.get("", path).want(t, 200)
	}
}
