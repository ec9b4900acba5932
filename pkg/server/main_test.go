package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.uber.org/goleak"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/ops/proc"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}

// The playbooks every test server serves.
var testPlaybooks = map[string]string{
	"hello.yaml": `version: 1
name: hello
description: Say hello
inputs:
  who: {type: string, default: world}
  times: {type: integer, default: 1}
  token: {type: string, secret: true, default: s3cret-value}
steps:
  - {id: greet, op: control.log, with: {message: "hello ${{ inputs.who }}"}}
outputs:
  greeting: "hello ${{ inputs.who }}"
`,
	"sleeper.yaml": `version: 1
name: sleeper
steps:
  - {id: first, op: control.noop}
  - {id: nap, op: control.sleep, with: {duration: 1h}}
  - {id: after, op: shell.exec, with: {command: ["true"]}}
finally:
  - {id: tidy, op: control.log, with: {message: tidied}}
`,
	"paced.yaml": `version: 1
name: paced
steps:
  - {id: one, op: control.noop}
  - {id: wait_a, op: control.sleep, with: {duration: 300ms}}
  - {id: two, op: control.noop}
  - {id: wait_b, op: control.sleep, with: {duration: 300ms}}
  - {id: three, op: control.noop}
`,
	"shell.yaml": `version: 1
name: shell
steps:
  - {id: sh, op: shell.exec, with: {command: ["true"]}}
`,
	"nightly.yaml": `version: 1
name: nightly
schedule: {cron: "0 3 * * *", timezone: Europe/Berlin}
steps:
  - {id: a, op: control.noop}
`,
}

// testServer is a server on a loopback listener with keys for each
// built-in role.
type testServer struct {
	t      testing.TB
	srv    *Server
	mgr    *runs.Manager
	url    string
	keys   map[string]string // key name -> key
	client *http.Client
	state  string
	audit  string
	pbDir  string
	served chan error
}

// addPlaybook writes one more playbook into the server's directory and
// reloads the playbooks.
func (ts *testServer) addPlaybook(t *testing.T, file, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(ts.pbDir, file), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	pbs, err := LoadPlaybooks(ts.pbDir, ts.mgr.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	st := ts.srv.current().State
	st.Playbooks = pbs
	if err := ts.srv.Reload(st); err != nil {
		t.Fatal(err)
	}
}

type serverOption func(*Config)

func newTestServer(t testing.TB, opts ...serverOption) *testServer {
	t.Helper()
	return newTestServerWith(t, nil, opts...)
}

// newTestServerWith is newTestServer with the run service's config
// changed by svcOpt (its inventory, say).
func newTestServerWith(t testing.TB, svcOpt func(*runs.Config), opts ...serverOption) *testServer {
	t.Helper()
	dir := t.TempDir()
	sup := proc.NewSupervisor(proc.Options{})
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{Supervisor: sup}); err != nil {
		t.Fatal(err)
	}
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(ops.Spec{Name: "test.panic", Description: "panics", Risk: ops.RiskRead},
		ops.Func(func(context.Context, ops.Params) (map[string]any, error) { panic("the op blew up") }))
	pbDir := filepath.Join(dir, "playbooks")
	os.Mkdir(pbDir, 0o755)
	for name, text := range testPlaybooks {
		if err := os.WriteFile(filepath.Join(pbDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pbs, err := LoadPlaybooks(pbDir, reg)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, keys: map[string]string{}, state: filepath.Join(dir, "state"), served: make(chan error, 1)}
	var keysYAML strings.Builder
	keysYAML.WriteString("version: 1\nkeys:\n")
	for _, k := range []struct{ name, role, expires string }{
		{"admin", "admin", ""}, {"operator", "operator", ""}, {"viewer", "viewer", ""}, {"ci", "ci", ""},
		{"old", "admin", "2020-01-01T00:00:00Z"}, {"other-admin", "admin", ""},
	} {
		key, digest, err := NewKey()
		if err != nil {
			t.Fatal(err)
		}
		ts.keys[k.name] = key
		fmt.Fprintf(&keysYAML, "  - {name: %s, sha256: %s, roles: [%s]", k.name, digest, k.role)
		if k.expires != "" {
			fmt.Fprintf(&keysYAML, ", expires: %s", k.expires)
		}
		keysYAML.WriteString("}\n")
	}
	keysYAML.WriteString("certs:\n  - {subject: \"spiffe://fleet/arsenal-node-2\", roles: [operator]}\n")
	keys, err := ParseKeys("keys.yaml", []byte(keysYAML.String()))
	if err != nil {
		t.Fatal(err)
	}
	policy, err := auth.ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  ci:
    inherits: [viewer]
    allow: [control.*]
rate:
  ops: {control.fail: 2/m}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	ts.audit = filepath.Join(dir, "audit.log")
	auditLog, err := auth.OpenAudit(ts.audit)
	if err != nil {
		t.Fatal(err)
	}
	svcCfg := runs.Config{Registry: reg, Policy: policy, StateDir: ts.state, Audit: auditLog}
	if svcOpt != nil {
		svcOpt(&svcCfg)
	}
	svc, err := runs.NewService(svcCfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.mgr = runs.NewManager(svc, runs.Limits{MaxRunning: 4, MaxQueued: 2})
	sessions, err := OpenSessions(ts.state, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts.pbDir = pbDir
	cfg := Config{
		Manager: ts.mgr, State: State{Keys: keys, Policy: policy, Playbooks: pbs}, Sessions: sessions,
		Supervisors: sup.Groups, Env: runs.MapEnv{"PATH": os.Getenv("PATH")}, Version: "test",
		Log: testLog{t},
	}
	for _, o := range opts {
		o(&cfg)
	}
	if ts.srv, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if wrap, ok := listenerWraps.Load(t); ok {
		l = wrap.(func(net.Listener) net.Listener)(l)
	}
	scheme := "http"
	if cfg.TLS != nil {
		scheme = "https"
	}
	ts.url = scheme + "://" + l.Addr().String()
	ts.client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	go func() { ts.served <- ts.srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := ts.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-ts.served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		ts.client.CloseIdleConnections()
		now, cancelNow := context.WithCancel(context.Background())
		cancelNow()
		ts.mgr.Shutdown(now) // cancels the runs still going and waits for them

		svc.Close()
		auditLog.Close()
		reg.Close()
		sup.Close()
	})
	return ts
}

// listenerWraps holds, by test, what wraps the listener of the test's
// server (wrapListener): a test that watches the server's side of its
// connections.
var listenerWraps sync.Map

// wrapListener has the next server that t starts serve on wrap(its
// listener).
func wrapListener(t testing.TB, wrap func(net.Listener) net.Listener) {
	listenerWraps.Store(t, wrap)
	t.Cleanup(func() { listenerWraps.Delete(t) })
}

type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Logf("server: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// resp is a received answer, its body read.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r *resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v\n%s", r.status, err, r.body)
	}
	return m
}

// errBody returns the error object of an error answer.
func (r *resp) errBody(t *testing.T) map[string]any {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("answer %d has no error object: %s", r.status, r.body)
	}
	return e
}

// request is one request to send.
type request struct {
	method, path string
	key          string // the key's name in ts.keys; "" = none
	rawKey       string // sent as is
	body         any    // marshalled as JSON unless a string
	contentType  string
	header       map[string]string
}

// do sends a request, reads the answer, and checks a JSON answer against
// the OpenAPI document's schema for that route and status.
func (ts *testServer) do(req request) *resp {
	ts.t.Helper()
	var body io.Reader
	switch b := req.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		body = bytes.NewReader(data)
	}
	hr, err := http.NewRequest(req.method, ts.url+req.path, body)
	if err != nil {
		ts.t.Fatal(err)
	}
	if body != nil {
		ct := req.contentType
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	switch {
	case req.rawKey != "":
		hr.Header.Set("Authorization", "Bearer "+req.rawKey)
	case req.key != "":
		hr.Header.Set("Authorization", "Bearer "+ts.keys[req.key])
	}
	for k, v := range req.header {
		hr.Header.Set(k, v)
	}
	res, err := ts.client.Do(hr)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", req.method, req.path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatalf("%s %s: reading the answer: %v", req.method, req.path, err)
	}
	r := &resp{status: res.StatusCode, header: res.Header, body: data}
	ts.checkSchema(hr, r)
	return r
}

func (ts *testServer) get(key, path string) *resp {
	ts.t.Helper()
	return ts.do(request{method: "GET", path: path, key: key})
}

func (ts *testServer) post(key, path string, body any) *resp {
	ts.t.Helper()
	return ts.do(request{method: "POST", path: path, key: key, body: body})
}

// want fails the test unless the answer has the status.
func (r *resp) want(t *testing.T, status int) *resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// wantError checks an error answer's status and class.
func (r *resp) wantError(t *testing.T, status int, class Class) map[string]any {
	t.Helper()
	r.want(t, status)
	e := r.errBody(t)
	if e["class"] != string(class) {
		t.Errorf("error class %v, want %s: %s", e["class"], class, r.body)
	}
	return e
}

var (
	docOnce    sync.Once
	docSchemas *jsonschema.Compiler
	docErr     error
	docCache   = map[string]*jsonschema.Schema{}
	docMu      sync.Mutex
)

// checkSchema validates a JSON answer against the schema the OpenAPI
// document gives for its route and status.
func (ts *testServer) checkSchema(req *http.Request, r *resp) {
	ts.t.Helper()
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		return
	}
	_, pattern := ts.srv.mux.Handler(req)
	method, path, _ := strings.Cut(pattern, " ")
	doc := ts.srv.OpenAPI()
	name := "Error"
	item, documented := doc["paths"].(map[string]any)[path].(map[string]any)
	if pattern != "/" && !documented && r.status < 400 {
		ts.t.Errorf("%s answered %d but is not in the OpenAPI document", pattern, r.status)
	}
	if pattern != "/" && documented {
		op := item[strings.ToLower(method)].(map[string]any)
		answer, ok := op["responses"].(map[string]any)[fmt.Sprint(r.status)].(map[string]any)
		if !ok {
			ts.t.Errorf("%s: status %d is not in the OpenAPI document: %s", pattern, r.status, r.body)
			return
		}
		sch := answer["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
		ref, _ := sch["$ref"].(string)
		if ref == "" {
			return
		}
		name = strings.TrimPrefix(ref, "#/components/schemas/")
	} else if pattern == "/" && r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
		ts.t.Errorf("an unrouted request answered %d", r.status)
	}
	s, err := compiledSchema(doc, name)
	if err != nil {
		ts.t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		ts.t.Fatalf("%s answered invalid JSON: %v", pattern, err)
	}
	if err := s.Validate(v); err != nil {
		ts.t.Errorf("%s %d does not match the OpenAPI schema %s: %v\n%s", pattern, r.status, name, err, r.body)
	}
}

// compiledSchema compiles components.schemas[name] of the document as a
// JSON Schema: the components become $defs of one schema resource.
func compiledSchema(doc map[string]any, name string) (*jsonschema.Schema, error) {
	docMu.Lock()
	defer docMu.Unlock()
	if s, ok := docCache[name]; ok {
		return s, nil
	}
	docOnce.Do(func() {
		comps := doc["components"].(map[string]any)["schemas"]
		b, err := json.Marshal(map[string]any{"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": comps})
		if err != nil {
			docErr = err
			return
		}
		b = bytes.ReplaceAll(b, []byte(`"#/components/schemas/`), []byte(`"#/$defs/`))
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			docErr = err
			return
		}
		docSchemas = jsonschema.NewCompiler()
		docSchemas.DefaultDraft(jsonschema.Draft2020)
		docSchemas.AssertFormat()
		docErr = docSchemas.AddResource("openapi-schemas.json", v)
	})
	if docErr != nil {
		return nil, docErr
	}
	s, err := docSchemas.Compile("openapi-schemas.json#/$defs/" + name)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	docCache[name] = s
	return s, nil
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
