package cache_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/cache"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/control"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// counter counts the real executions of the test operations.
type counter struct{ n atomic.Int64 }

// testRegistry has control.*, test.echo (read; returns its params and how
// often it ran), test.login (read, with a secret param), test.write
// (write), test.region (read; the AWS_REGION it gets, see environ_test.go)
// and test.pid (read; the pid of the process that ran it).
func testRegistry(c *counter) *ops.Registry {
	r := ops.NewRegistry()
	if err := control.Register(r); err != nil {
		panic(err)
	}
	echo := ops.Func(func(_ context.Context, p ops.Params) (map[string]any, error) {
		return map[string]any{"x": p["x"], "n": int(c.n.Add(1))}, nil
	})
	r.MustRegister(ops.Spec{Name: "test.echo", Risk: ops.RiskRead, Params: []ops.Param{{Name: "x", Type: ops.TypeAny}}}, echo)
	r.MustRegister(ops.Spec{Name: "test.login", Risk: ops.RiskRead, Params: []ops.Param{{Name: "user", Type: ops.TypeString}, {Name: "token", Type: ops.TypeString, Secret: true}}},
		ops.Func(func(_ context.Context, p ops.Params) (map[string]any, error) {
			c.n.Add(1)
			return map[string]any{"user": p.String("user"), "ok": true}, nil
		}))
	r.MustRegister(ops.Spec{Name: "test.leak", Risk: ops.RiskRead, Params: []ops.Param{{Name: "x", Type: ops.TypeString}}},
		ops.Func(func(_ context.Context, p ops.Params) (map[string]any, error) {
			c.n.Add(1)
			return map[string]any{"echo": "got " + p.String("x")}, nil
		}))
	r.MustRegister(ops.Spec{Name: "test.write", Risk: ops.RiskWrite}, ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
		return map[string]any{"n": int(c.n.Add(1))}, nil
	}))
	r.MustRegister(ops.Spec{Name: "test.region", Risk: ops.RiskRead}, regionOp{c})
	r.MustRegister(ops.Spec{Name: "test.pid", Risk: ops.RiskRead}, ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
		c.n.Add(1)
		return map[string]any{"pid": os.Getpid()}, nil
	}))
	return r
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func writeFile(t testing.TB, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fixture is a playbook run through an engine with the cache middleware
// over a state dir.
type fixture struct {
	t     testing.TB
	dir   string
	store *history.Store
	reg   *ops.Registry
	count *counter
	clock *clock
	plan  *engine.Plan
	pol   *auth.Policy
}

func newFixture(t testing.TB, playbook string) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), count: &counter{}, clock: &clock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}}
	var err error
	if f.store, err = history.Open(filepath.Join(f.dir, "state")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	f.reg = testRegistry(f.count)
	eng := engine.New(f.reg, engine.WithMiddleware(cache.Middleware(cache.Config{Store: f.store, Secret: []byte("k"), Policy: f.pol, Now: f.clock.Now})))
	if f.plan, err = eng.Load(writeFile(t, f.dir, "pb.yaml", playbook)); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) run(inputs map[string]any) (*report.Report, []engine.Event) {
	f.t.Helper()
	var mu sync.Mutex
	var evs []engine.Event
	obs := engine.ObserverFunc(func(ev engine.Event) { mu.Lock(); evs = append(evs, ev); mu.Unlock() })
	rep, err := f.plan.Run(context.Background(), inputs, engine.WithRunObserver(obs))
	if err != nil {
		f.t.Fatal(err)
	}
	return rep, evs
}

func step(rep *report.Report, id string) *report.Step {
	for i := range rep.Steps {
		if rep.Steps[i].ID == id {
			return &rep.Steps[i]
		}
	}
	return nil
}

// TestHitMissExpiry runs a cached step three times: a miss that runs the
// op, a hit that does not (with the entry's age in the report and the
// event), and after the ttl a miss again.
func TestHitMissExpiry(t *testing.T) {
	f := newFixture(t, `version: 1
name: c
steps:
  - id: a
    op: test.echo
    with: {x: hello}
    cache: {ttl: 10m}
`)
	rep, _ := f.run(nil)
	if s := step(rep, "a"); s.Cached || s.Status != report.StatusSucceeded || f.count.n.Load() != 1 {
		t.Fatalf("first run: %+v, %d executions; want a miss that ran", s, f.count.n.Load())
	}
	f.clock.advance(3 * time.Minute)
	rep, evs := f.run(nil)
	s := step(rep, "a")
	want := report.Step{ID: "a", Op: "test.echo", Section: "steps", Status: report.StatusSucceeded, Cached: true, CacheAgeMS: 180_000,
		Output: map[string]any{"x": "hello", "n": 1}}
	if diff := cmp.Diff(want, *s, cmpStep); diff != "" {
		t.Errorf("hit (-want +got):\n%s", diff)
	}
	if f.count.n.Load() != 1 {
		t.Errorf("a hit ran the op: %d executions", f.count.n.Load())
	}
	var fin *engine.Event
	for i := range evs {
		if evs[i].Kind == engine.EventStepFinished && evs[i].Step == "a" {
			fin = &evs[i]
		}
	}
	if fin == nil || !fin.Cached || fin.CacheAgeMS != 180_000 || fin.Status != "succeeded" {
		t.Errorf("step_finished event: %+v; want cached with age 180000", fin)
	}
	f.clock.advance(7 * time.Minute)
	rep, _ = f.run(nil)
	if s := step(rep, "a"); s.Cached || f.count.n.Load() != 2 {
		t.Errorf("after the ttl: cached %v, %d executions; want a miss that ran", s.Cached, f.count.n.Load())
	}
}

// cmpStep compares what a cache decides about a step, not its timing.
var cmpStep = cmp.FilterPath(func(p cmp.Path) bool {
	switch p.Last().String() {
	case ".StartedAt", ".DurationMS", ".Authorization":
		return true
	}
	return false
}, cmp.Ignore())

// TestKeysOfDifferentParams: steps whose params differ, even only in type
// or in a nested value, never share an entry; equal params do, across
// steps and fan-out items; a cache.key decides alone.
func TestKeysOfDifferentParams(t *testing.T) {
	f := newFixture(t, `version: 1
name: c
steps:
  - {id: a, op: test.echo, with: {x: 1}, cache: {ttl: 1h}}
  - {id: b, op: test.echo, with: {x: "1"}, cache: {ttl: 1h}}
  - {id: c, op: test.echo, with: {x: {k: [1, 2]}}, cache: {ttl: 1h}}
  - {id: d, op: test.echo, with: {x: {k: [1, 3]}}, cache: {ttl: 1h}}
  - {id: e, op: test.echo, with: {x: 1}, cache: {ttl: 1h}}
  - id: f
    op: test.echo
    foreach: '[1, 2, 1]'
    with: {x: "${{ item }}"}
    cache: {ttl: 1h}
  - id: g
    op: test.echo
    foreach: '[{"k": 1, "x": "p"}, {"k": 1, "x": "q"}]'
    with: {x: "${{ item.x }}"}
    cache: {ttl: 1h, key: "k-${{ item.k }}"}
`)
	rep, _ := f.run(nil)
	cached := map[string]bool{}
	for _, s := range rep.Steps {
		cached[s.ID] = s.Cached
		for _, it := range s.Items {
			cached[s.ID+"["+string(rune('0'+it.Index))+"]"] = it.Cached
		}
	}
	want := map[string]bool{"a": false, "b": false, "c": false, "d": false, "e": true, "f": false,
		"f[0]": true, "f[1]": false, "f[2]": true, "g": false, "g[0]": false, "g[1]": true}
	if diff := cmp.Diff(want, cached); diff != "" {
		t.Errorf("cached (-want +got):\n%s", diff)
	}
	if got := step(rep, "g").Items[1].Output.(map[string]any)["x"]; got != "p" {
		t.Errorf("g[1] shares g[0]'s key and must answer with its output, got x=%v", got)
	}
	if got := step(rep, "b").Output.(map[string]any)["x"]; got != "1" {
		t.Errorf("b's output x = %#v; want the string \"1\" of its own run", got)
	}
}

// TestSecretNeverStored caches a call with a secret param and a secret
// input, and refuses to store an output that holds the secret; the
// database file never contains it.
func TestSecretNeverStored(t *testing.T) {
	const secret = "hunter2-very-secret"
	f := newFixture(t, `version: 1
name: c
inputs:
  token: {type: string, secret: true}
steps:
  - {id: login, op: test.login, with: {user: bob, token: "${{ inputs.token }}"}, cache: {ttl: 1h}}
  - {id: by_key, op: test.echo, with: {x: 1}, cache: {ttl: 1h, key: "tok-${{ inputs.token }}"}}
  - {id: leak, op: test.leak, with: {x: "${{ inputs.token }}"}, cache: {ttl: 1h}}
`)
	f.run(map[string]any{"token": secret})
	rep, _ := f.run(map[string]any{"token": secret})
	if !step(rep, "login").Cached || !step(rep, "by_key").Cached {
		t.Errorf("calls with a secret param are cached by its hash: login %v, by_key %v", step(rep, "login").Cached, step(rep, "by_key").Cached)
	}
	if step(rep, "leak").Cached {
		t.Error("an output holding the secret was stored and served")
	}
	rep, _ = f.run(map[string]any{"token": "another-token"})
	if step(rep, "login").Cached || step(rep, "by_key").Cached {
		t.Error("another secret hit the entry of the first")
	}
	f.store.Close()
	files, _ := filepath.Glob(filepath.Join(f.dir, "state", "history.db*"))
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte("hunter2")) {
			t.Errorf("%s holds the secret in clear", filepath.Base(file))
		}
	}
}

// TestUndecodableEntryIsAMiss corrupts an entry: the step runs, succeeds,
// and replaces the entry.
func TestUndecodableEntryIsAMiss(t *testing.T) {
	f := newFixture(t, `version: 1
name: c
steps:
  - {id: a, op: test.echo, with: {x: 1}, cache: {ttl: 1h}}
`)
	f.run(nil)
	list, err := f.store.CacheList(context.Background(), history.CacheFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("entries: %v, %v", list, err)
	}
	for _, bad := range []string{`{"x": `, `[1, 2]`, `null`, `{"a": 1} {"b": 2}`} {
		e := list[0].CacheEntry
		e.Output, e.ExpiresAt = json.RawMessage(bad), f.clock.Now().Add(time.Hour)
		if err := f.store.CachePut(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		before := f.count.n.Load()
		rep, _ := f.run(nil)
		if s := step(rep, "a"); s.Cached || s.Status != report.StatusSucceeded || f.count.n.Load() != before+1 {
			t.Errorf("entry %q: cached %v, status %s, ran %d times; want a miss that runs", bad, s.Cached, s.Status, f.count.n.Load()-before)
		}
	}
	rep, _ := f.run(nil)
	if !step(rep, "a").Cached {
		t.Error("the miss did not store a good entry again")
	}
}

// TestWriteOpRefusedUnlessAllowed: the run service refuses a playbook that
// caches a write operation before anything runs; a policy that names the
// op lets it be cached.
func TestWriteOpRefusedUnlessAllowed(t *testing.T) {
	c := &counter{}
	reg := testRegistry(c)
	dir := t.TempDir()
	pb := writeFile(t, dir, "pb.yaml", `version: 1
name: w
steps:
  - {id: w, op: test.write, cache: {ttl: 1h}}
`)
	svc, err := runs.NewService(runs.Config{Registry: reg, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	mgr := runs.NewManager(svc, runs.Limits{})
	defer mgr.Shutdown(context.Background())
	_, err = mgr.Start(context.Background(), runs.Request{Path: pb})
	var pe *runs.PrepareError
	if err == nil || !strings.Contains(err.Error(), "test.write is a write operation") || !strings.Contains(err.Error(), pb+":4:36") {
		t.Fatalf("caching a write op: %v; want a refusal at the step's cache:", err)
	} else if !errorsAs(err, &pe) || pe.Field != "playbook" {
		t.Errorf("refusal %T %v; want a PrepareError for the playbook", err, err)
	}
	if c.n.Load() != 0 {
		t.Error("the refused playbook ran")
	}
	pol, err := auth.ParsePolicy("p.yaml", []byte("version: 1\ncache: {allow: [test.write]}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	for i, wantCached := range []bool{false, true} {
		h, err := mgr.Start(context.Background(), runs.Request{Path: pb, Policy: pol})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := h.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if s := rep.Steps[0]; s.Status != report.StatusSucceeded || s.Cached != wantCached {
			t.Errorf("run %d with the op allowed: %s, cached %v; want cached %v", i+1, s.Status, s.Cached, wantCached)
		}
	}
}

// TestMiddlewareRefusesAWriteOpAtRunTime covers sub-playbooks, which the
// service checks only when they run: the step fails with class validation
// and the op does not run.
func TestMiddlewareRefusesAWriteOpAtRunTime(t *testing.T) {
	f := newFixture(t, `version: 1
name: w
steps:
  - {id: w, op: test.write, cache: {ttl: 1h}}
`)
	rep, _ := f.run(nil)
	s := step(rep, "w")
	if s.Status != report.StatusFailed || s.Error == nil || s.Error.Class != "validation" || !strings.Contains(s.Error.Message, "only read operations are cached") {
		t.Errorf("step: %s %+v; want failed with class validation", s.Status, s.Error)
	}
	if f.count.n.Load() != 0 {
		t.Error("the write op ran")
	}
}

// sharedEnv makes the test binary a second process that runs the shared
// playbook once against the state dir it names, then exits.
const sharedEnv = "ARSENAL_TEST_CACHE_STATE"

func TestMain(m *testing.M) {
	if dir := os.Getenv(sharedEnv); dir != "" {
		os.Exit(runShared(dir))
	}
	os.Exit(m.Run())
}

const sharedPlaybook = `version: 1
name: shared
steps:
  - {id: who, op: test.pid, cache: {ttl: 1h}}
`

// runShared runs the shared playbook through the run service, as any
// front end would, and prints the step's output.
func runShared(dir string) int {
	reg := testRegistry(&counter{})
	svc, err := runs.NewService(runs.Config{Registry: reg, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		os.Stderr.WriteString(err.Error())
		return 1
	}
	defer svc.Close()
	mgr := runs.NewManager(svc, runs.Limits{})
	defer mgr.Shutdown(context.Background())
	h, err := mgr.Start(context.Background(), runs.Request{Path: filepath.Join(dir, "pb.yaml")})
	if err != nil {
		os.Stderr.WriteString(err.Error())
		return 1
	}
	rep, err := h.Wait(context.Background())
	if err != nil {
		return 1
	}
	json.NewEncoder(os.Stdout).Encode(rep.Steps[0])
	return 0
}

// TestTwoProcessesShareAnEntry runs the same cached step in two processes
// on one state dir: the second is answered with the first one's pid.
func TestTwoProcessesShareAnEntry(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "pb.yaml", sharedPlaybook)
	var steps []report.Step
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), sharedEnv+"="+dir)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child: %v: %s", err, out)
		}
		var s report.Step
		if err := json.Unmarshal(out, &s); err != nil {
			t.Fatalf("child output %q: %v", out, err)
		}
		steps = append(steps, s)
	}
	first, second := steps[0], steps[1]
	if first.Cached || !second.Cached {
		t.Fatalf("cached: first %v, second %v; want a miss then a hit", first.Cached, second.Cached)
	}
	if diff := cmp.Diff(first.Output, second.Output); diff != "" {
		t.Errorf("the second process did not get the first one's output (-first +second):\n%s", diff)
	}
}

func errorsAs(err error, target **runs.PrepareError) bool { return errors.As(err, target) }
