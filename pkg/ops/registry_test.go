package ops_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/internal/chaintoken"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/control"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// echo returns its params as its output.
var echo = ops.Func(func(_ context.Context, p ops.Params) (map[string]any, error) {
	return map[string]any(p), nil
})

// closingOp counts the calls to Close.
type closingOp struct {
	closed int
	err    error
}

func (c *closingOp) Execute(context.Context, ops.Params) (map[string]any, error) { return nil, nil }
func (c *closingOp) Close() error                                                { c.closed++; return c.err }

// checkedOp has every optional capability: its own param checks and a risk
// that depends on its params.
type checkedOp struct {
	err    error
	finals []bool // the final flag of each ValidateParams call
}

var (
	_ ops.ParamValidator = (*checkedOp)(nil)
	_ ops.RiskAssessor   = (*checkedOp)(nil)
)

func (c *checkedOp) Execute(context.Context, ops.Params) (map[string]any, error) { return nil, nil }
func (c *checkedOp) ValidateParams(p ops.Params, final bool) error {
	c.finals = append(c.finals, final)
	return c.err
}

// AssessesDeferred: its RiskFor checks p.Known("method").
func (c *checkedOp) AssessesDeferred() bool { return true }

func (c *checkedOp) RiskFor(p ops.Params) ops.Risk {
	if !p.Known("method") || p.String("method") != "GET" {
		return ops.RiskWrite
	}
	return ops.RiskRead
}

func spec(name string, params ...ops.Param) ops.Spec {
	return ops.Spec{Name: name, Description: "does " + name, Risk: ops.RiskRead, Params: params}
}

func names(es []*ops.Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Spec.Name)
	}
	return out
}

func TestRegisterChecksSpec(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec ops.Spec
		op   ops.Op
		want string // "" = registers
	}{
		{"plain", spec("disk.usage"), echo, ""},
		{"digits and underscores", spec("net2.tcp_check"), echo, ""},
		{"nil op", spec("disk.usage"), nil, "nil implementation"},
		{"no dot", spec("diskusage"), echo, "want category.verb"},
		{"upper case", spec("Disk.Usage"), echo, "want category.verb"},
		{"two dots", spec("a.b.c"), echo, "want category.verb"},
		{"no risk", ops.Spec{Name: "disk.usage"}, echo, `risk ""`},
		{"unknown risk", ops.Spec{Name: "disk.usage", Risk: "scary"}, echo, `risk "scary"`},
		{"param twice", spec("disk.usage", ops.Param{Name: "p", Type: ops.TypeString}, ops.Param{Name: "p", Type: ops.TypeInteger}), echo, `parameter "p" is empty or declared twice`},
		{"param without name", spec("disk.usage", ops.Param{Type: ops.TypeString}), echo, `parameter "" is empty`},
		{"unknown param type", spec("disk.usage", ops.Param{Name: "p", Type: "float"}), echo, `unknown type "float"`},
		{"default of the wrong kind", spec("disk.usage", ops.Param{Name: "p", Type: ops.TypeInteger, Default: "x", Enum: []any{1}}), echo, "default"},
		{"default outside the bounds", spec("disk.usage", ops.Param{Name: "p", Type: ops.TypeInteger, Default: 5, Max: ops.Bound(3)}), echo, "default: 5 is above the maximum 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ops.NewRegistry().Register(tc.spec, tc.op)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Register: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Register = %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestRegisterDuplicate(t *testing.T) {
	r := ops.NewRegistry()
	if err := r.Register(spec("disk.usage"), echo); err != nil {
		t.Fatal(err)
	}
	err := r.Register(spec("disk.usage"), echo)
	if !errors.Is(err, ops.ErrDuplicateOp) || !strings.Contains(err.Error(), "disk.usage") {
		t.Fatalf("second Register = %v; want ErrDuplicateOp naming the op", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustRegister of a duplicate did not panic")
			}
		}()
		r.MustRegister(spec("disk.usage"), echo)
	}()
}

func TestGetSuggests(t *testing.T) {
	r := ops.NewRegistry()
	if err := control.Register(r); err != nil {
		t.Fatal(err)
	}
	e, err := r.Get("control.log")
	if err != nil || e.Spec.Name != "control.log" {
		t.Fatalf("Get(control.log) = %v, %v", e, err)
	}
	for _, tc := range []struct{ name, want string }{
		{"control.lgo", `unknown operation "control.lgo" (did you mean "control.log"?); see 'arsenal-run ops list'`},
		{"control.slep", `(did you mean "control.sleep"?)`},
		{"shell.exec", `unknown operation "shell.exec"; see`},
		{"", `unknown operation ""; see`},
	} {
		_, err := r.Get(tc.name)
		if !errors.Is(err, ops.ErrUnknownOp) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Get(%q) = %v; want ErrUnknownOp with %q", tc.name, err, tc.want)
		}
	}
}

func TestUnregister(t *testing.T) {
	r := ops.NewRegistry()
	c := &closingOp{}
	if err := r.Register(spec("svc.conn"), c); err != nil {
		t.Fatal(err)
	}
	e, _ := r.Get("svc.conn")
	if err := r.Unregister("svc.conn"); err != nil {
		t.Fatalf("Unregister: %v", err)
	}
	if c.closed != 1 {
		t.Errorf("Close called %d times; want 1", c.closed)
	}
	if _, err := r.Get("svc.conn"); !errors.Is(err, ops.ErrUnknownOp) {
		t.Errorf("Get after Unregister = %v; want ErrUnknownOp", err)
	}
	if e.Spec.Name != "svc.conn" || !e.Implements(c) {
		t.Errorf("an entry got before Unregister changed: %+v", e.Spec)
	}
	if err := r.Unregister("svc.conn"); !errors.Is(err, ops.ErrUnknownOp) {
		t.Errorf("second Unregister = %v; want ErrUnknownOp", err)
	}
	if c.closed != 1 {
		t.Errorf("Close called %d times after a second Unregister; want 1", c.closed)
	}
	// The name is free again, and Close's error comes back.
	c2 := &closingOp{err: errors.New("busy")}
	if err := r.Register(spec("svc.conn"), c2); err != nil {
		t.Fatalf("Register after Unregister: %v", err)
	}
	if err := r.Unregister("svc.conn"); err == nil || err.Error() != "busy" {
		t.Errorf("Unregister = %v; want the Close error", err)
	}
	// An op without Close unregisters quietly.
	if err := r.Register(spec("svc.plain"), echo); err != nil {
		t.Fatal(err)
	}
	if err := r.Unregister("svc.plain"); err != nil {
		t.Errorf("Unregister of an op without Close: %v", err)
	}
}

func TestRegistryClose(t *testing.T) {
	r := ops.NewRegistry()
	a, b := &closingOp{err: errors.New("a failed")}, &closingOp{err: errors.New("b failed")}
	r.MustRegister(spec("x.a"), a)
	r.MustRegister(spec("x.b"), b)
	r.MustRegister(spec("x.c"), echo)
	if err := r.Close(); err == nil || err.Error() != "a failed" {
		t.Errorf("Close = %v; want the first error in name order", err)
	}
	if a.closed != 1 || b.closed != 1 {
		t.Errorf("closed a %d, b %d times; want every closer once", a.closed, b.closed)
	}
}

func newListRegistry(t *testing.T) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	for _, s := range []ops.Spec{
		{Name: "process.signal", Description: "Send a signal to processes.", Risk: ops.RiskDestructive, Params: []ops.Param{{Name: "pid", Type: ops.TypeInteger}, {Name: "signal", Type: ops.TypeString}}},
		{Name: "process.list", Description: "List running processes, optionally filtered by name.", Risk: ops.RiskRead, Params: []ops.Param{{Name: "name_regex", Type: ops.TypeString}}},
		{Name: "http.request", Description: "Make an HTTP request and return the status and body.", Risk: ops.RiskWrite, Params: []ops.Param{{Name: "url", Type: ops.TypeString}}},
		{Name: "disk.usage", Description: "Report how full a file system is.", Risk: ops.RiskRead, Params: []ops.Param{{Name: "path", Type: ops.TypeString}}},
		{Name: "file.read", Description: "Read a file, up to a size limit.", Risk: ops.RiskRead, Params: []ops.Param{{Name: "path", Type: ops.TypeString}}},
	} {
		r.MustRegister(s, echo)
	}
	return r
}

func TestListAndCategories(t *testing.T) {
	r := newListRegistry(t)
	for _, tc := range []struct {
		category string
		want     []string
	}{
		{"", []string{"disk.usage", "file.read", "http.request", "process.list", "process.signal"}},
		{"process", []string{"process.list", "process.signal"}},
		{"http", []string{"http.request"}},
		{"proc", []string{}},
		{"nothing", []string{}},
	} {
		if diff := cmp.Diff(tc.want, names(r.List(tc.category))); diff != "" {
			t.Errorf("List(%q) (-want +got):\n%s", tc.category, diff)
		}
	}
	if diff := cmp.Diff([]string{"disk", "file", "http", "process"}, r.Categories()); diff != "" {
		t.Errorf("Categories (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"disk.usage", "file.read", "http.request", "process.list", "process.signal"}, r.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
}

func TestSearchRanking(t *testing.T) {
	r := newListRegistry(t)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		// A word in the name (3) outranks one in the description (1).
		{"process", []string{"process.list", "process.signal"}},
		{"processes", []string{"process.list", "process.signal"}},
		{"file", []string{"file.read", "disk.usage"}},
		// Every word must match somewhere; ties keep name order.
		{"process signal", []string{"process.signal"}},
		{"PROCESS Name", []string{"process.list"}},
		// Parameter names count like the description.
		{"path", []string{"disk.usage", "file.read"}},
		{"url", []string{"http.request"}},
		{"read", []string{"file.read"}},
		{"status body", []string{"http.request"}},
		{"nothing matches", []string{}},
		{"", []string{}},
		{"   ", []string{}},
	} {
		if diff := cmp.Diff(tc.want, names(r.Search(tc.query))); diff != "" {
			t.Errorf("Search(%q) (-want +got):\n%s", tc.query, diff)
		}
	}
}

func TestExecute(t *testing.T) {
	r := ops.NewRegistry()
	boom := errors.New("boom")
	r.MustRegister(spec("test.echo",
		ops.Param{Name: "n", Type: ops.TypeInteger, Required: true},
		ops.Param{Name: "mode", Type: ops.TypeString, Default: "fast"},
	), echo)
	r.MustRegister(spec("test.fail"), ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
		return nil, ops.WithClass(ops.ClassExecution, boom)
	}))
	ctx := context.Background()

	out, err := opstest.Execute(r, ctx, "test.echo", map[string]any{"n": 2.0})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"n": 2, "mode": "fast"}, out); diff != "" {
		t.Errorf("Execute output (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name  string
		raw   map[string]any
		class ops.Class
		is    error
		text  string
	}{
		{"test.ecko", nil, ops.ClassValidation, ops.ErrUnknownOp, `did you mean "test.echo"?`},
		{"test.echo", nil, ops.ClassValidation, nil, "param n: is required"},
		{"test.echo", map[string]any{"n": "two"}, ops.ClassValidation, nil, "param n: want an integer, got string"},
		{"test.echo", map[string]any{"n": 1, "m": 1}, ops.ClassValidation, nil, "param m: unknown parameter"},
		// The op's own error keeps its class and its cause.
		{"test.fail", nil, ops.ClassExecution, boom, "boom"},
	} {
		_, err := opstest.Execute(r, ctx, tc.name, tc.raw)
		if err == nil || ops.ClassOf(err) != tc.class || !strings.Contains(err.Error(), tc.text) || (tc.is != nil && !errors.Is(err, tc.is)) {
			t.Errorf("Execute(%s, %v) = %v (class %s); want class %s containing %q", tc.name, tc.raw, err, ops.ClassOf(err), tc.class, tc.text)
		}
	}
}

func TestEntryValidateUsesOpChecks(t *testing.T) {
	pe := &ops.ParamError{Param: "method", Msg: "not with body"}
	for _, tc := range []struct {
		name string
		err  error
		want ops.ParamErrors
	}{
		{"passes", nil, nil},
		{"one param error", pe, ops.ParamErrors{pe}},
		{"param errors, the whole set's first", ops.ParamErrors{pe, {Msg: "whole"}}, ops.ParamErrors{{Msg: "whole"}, pe}},
		{"wrapped param error", fmt.Errorf("check: %w", pe), ops.ParamErrors{pe}},
		{"plain error", errors.New("url and body exclude each other"), ops.ParamErrors{{Msg: "url and body exclude each other"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := &checkedOp{err: tc.err}
			r := ops.NewRegistry()
			r.MustRegister(spec("http.call", ops.Param{Name: "method", Type: ops.TypeString}), op)
			e, _ := r.Get("http.call")
			_, err := e.Validate(map[string]any{"method": "GET"}, false)
			var got ops.ParamErrors
			if err != nil {
				if !errors.As(err, &got) {
					t.Fatalf("Validate = %T %v; want ParamErrors", err, err)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
			if _, err := e.Validate(map[string]any{"method": 1}, true); err == nil {
				t.Error("Validate with a schema error passed")
			}
			// The op's own check runs with the final flag as given, and
			// with final false when the schema refused a param.
			if diff := cmp.Diff([]bool{false, false}, op.finals); diff != "" {
				t.Errorf("ValidateParams calls (-want +got):\n%s", diff)
			}
		})
	}
}

// paramsOp records the params its check is given and returns errs.
type paramsOp struct {
	got  []ops.Params
	errs ops.ParamErrors
}

func (o *paramsOp) Execute(context.Context, ops.Params) (map[string]any, error) { return nil, nil }
func (o *paramsOp) ValidateParams(p ops.Params, _ bool) error {
	o.got = append(o.got, p)
	if len(o.errs) == 0 {
		return nil
	}
	return o.errs
}

// TestEntryValidateReportsEveryProblem checks that a param the schema
// refuses does not hide the problems the operation's own check finds in
// the others: both are reported, once each, sorted by param, and the check
// sees each refused param as Deferred, never as a value of the wrong type
// or as missing.
func TestEntryValidateReportsEveryProblem(t *testing.T) {
	op := &paramsOp{errs: ops.ParamErrors{
		{Param: "url", Msg: "has no scheme"},
		{Param: "timeout", Msg: "5 has no unit; write it with one, like 5s or 5m"}, // told by the schema too
		{Msg: "whole"},
	}}
	r := ops.NewRegistry()
	r.MustRegister(spec("http.call",
		ops.Param{Name: "url", Type: ops.TypeString, Required: true},
		ops.Param{Name: "timeout", Type: ops.TypeDuration},
		ops.Param{Name: "token", Type: ops.TypeString, Required: true},
		ops.Param{Name: "tags", Type: ops.TypeList, Items: ops.TypeString},
		ops.Param{Name: "retries", Type: ops.TypeInteger, Default: 2},
	), op)
	e, _ := r.Get("http.call")
	p, err := e.Validate(map[string]any{"url": "127.0.0.1:18080/json", "timeout": 5, "tags": []any{"a", 1}, "colour": "red"}, true)
	var got ops.ParamErrors
	if !errors.As(err, &got) {
		t.Fatalf("Validate = %T %v; want ParamErrors", err, err)
	}
	want := ops.ParamErrors{
		{Msg: "whole"},
		{Param: "colour", Msg: `unknown parameter; http.call takes url, timeout, token, tags, retries`},
		{Param: "tags", Msg: "item 1: want a string, got integer; quote it as you mean it: unquoted, YAML reads it as the number 1"},
		{Param: "timeout", Msg: "5 has no unit; write it with one, like 5s or 5m"},
		{Param: "token", Msg: "is required ()"},
		{Param: "url", Msg: "has no scheme"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Validate (-want +got):\n%s", diff)
	}
	seen := ops.Params{"url": "127.0.0.1:18080/json", "timeout": ops.Deferred, "tags": ops.Deferred, "token": ops.Deferred, "retries": 2}
	if len(op.got) != 1 {
		t.Fatalf("the op's check ran %d times; want once", len(op.got))
	}
	if diff := cmp.Diff(seen, op.got[0]); diff != "" {
		t.Errorf("params the op's check saw (-want +got):\n%s", diff)
	}
	// What Validate returns is what the schema made of the params, without
	// the Deferred stand-ins.
	if diff := cmp.Diff(ops.Params{"url": "127.0.0.1:18080/json", "retries": 2}, p); diff != "" {
		t.Errorf("params returned (-want +got):\n%s", diff)
	}
}

func TestRiskFor(t *testing.T) {
	r := ops.NewRegistry()
	r.MustRegister(spec("http.call", ops.Param{Name: "method", Type: ops.TypeString}), &checkedOp{})
	r.MustRegister(ops.Spec{Name: "file.delete", Risk: ops.RiskDestructive}, echo)
	call, _ := r.Get("http.call")
	del, _ := r.Get("file.delete")
	for _, tc := range []struct {
		e    *ops.Entry
		p    ops.Params
		want ops.Risk
	}{
		{call, ops.Params{"method": "GET"}, ops.RiskRead},
		{call, ops.Params{"method": "POST"}, ops.RiskWrite},
		{call, ops.Params{"method": ops.Deferred}, ops.RiskWrite},
		{del, nil, ops.RiskDestructive},
	} {
		if got := tc.e.RiskFor(tc.p); got != tc.want {
			t.Errorf("%s.RiskFor(%v) = %s; want %s", tc.e.Spec.Name, tc.p, got, tc.want)
		}
	}
	ranks := []int{ops.RiskRead.Rank(), ops.RiskWrite.Rank(), ops.RiskDestructive.Rank(), ops.Risk("bogus").Rank()}
	if diff := cmp.Diff([]int{0, 1, 2, 2}, ranks); diff != "" {
		t.Errorf("Rank of read, write, destructive, unknown (-want +got):\n%s", diff)
	}
}

func TestClassOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want ops.Class
	}{
		{nil, ""},
		{errors.New("x"), ops.ClassExecution},
		{ops.Errorf(ops.ClassTimeout, "slow: %w", errors.New("x")), ops.ClassTimeout},
		{fmt.Errorf("step: %w", ops.WithClass(ops.ClassSystem, errors.New("panic"))), ops.ClassSystem},
		{context.DeadlineExceeded, ops.ClassTimeout},
		{fmt.Errorf("wait: %w", context.Canceled), ops.ClassCancelled},
		{fmt.Errorf("%w: process.kill", ops.ErrDenied), ops.ClassAuthorization},
		{ops.ParamErrors{{Param: "p", Msg: "bad"}}, ops.ClassValidation},
	} {
		if got := ops.ClassOf(tc.err); got != tc.want {
			t.Errorf("ClassOf(%v) = %q; want %q", tc.err, got, tc.want)
		}
	}
	if ops.WithClass(ops.ClassSystem, nil) != nil {
		t.Error("WithClass(nil) is not nil")
	}
}

// TestRegistryConcurrent exercises the registry from many goroutines; run
// with -race.
func TestRegistryConcurrent(t *testing.T) {
	r := newListRegistry(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			name := fmt.Sprintf("load.op%d", i)
			for range 50 {
				_ = r.Register(spec(name), echo)
				_, _ = r.Get("process.list")
				_ = r.List("process")
				_ = r.Search("process")
				_, _ = opstest.Execute(r, context.Background(), "disk.usage", map[string]any{"path": "/"})
				_ = r.Unregister(name)
			}
		})
	}
	wg.Wait()
	if diff := cmp.Diff([]string{"disk.usage", "file.read", "http.request", "process.list", "process.signal"}, r.Names()); diff != "" {
		t.Errorf("Names after concurrent use (-want +got):\n%s", diff)
	}
}

func TestCallFrom(t *testing.T) {
	c := ops.CallFrom(context.Background())
	if c == nil || c.RunID != "" {
		t.Fatalf("CallFrom(empty context) = %+v; want an empty Call", c)
	}
	c.Log.Info().Msg("discarded") // must not panic
	want := &ops.Call{RunID: "r1", Step: "s[2]", Attempt: 3}
	if got := ops.CallFrom(ops.WithCall(context.Background(), want)); got != want {
		t.Errorf("CallFrom = %+v; want %+v", got, want)
	}
}

// An operation is reached only with a token the engine's chain holds: a
// zero token, all that code outside the module could make, is refused.
func TestInvokeNeedsTheChain(t *testing.T) {
	r := ops.NewRegistry()
	ran := false
	r.MustRegister(ops.Spec{Name: "test.mark", Risk: ops.RiskRead}, ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
		ran = true
		return nil, nil
	}))
	e, _ := r.Get("test.mark")
	if _, err := e.Invoke(context.Background(), nil, chaintoken.Token{}); err == nil || ops.ClassOf(err) != ops.ClassSystem || ran {
		t.Errorf("a zero token ran the operation (ran=%v, err=%v)", ran, err)
	}
	if _, err := e.Invoke(context.Background(), nil, chaintoken.New()); err != nil || !ran {
		t.Errorf("the chain's token did not run it: %v", err)
	}
}

// TestGetNamesWhatOtherToolsCallAnOp: `op: debug` or `op: shell`, as
// Ansible and shell habit write a task, names the operation that does it
// here and how to write it, though no spelling leads there; only an
// operation that is registered is named.
func TestGetNamesWhatOtherToolsCallAnOp(t *testing.T) {
	r := ops.NewRegistry()
	if err := control.Register(r); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, want string }{
		{"debug", `unknown operation "debug"; for what debug does elsewhere, write op: control.log, with: {message: ...}; see 'arsenal-run ops list'`},
		{"set_fact", `write op: control.set, with: {name: value}`},
		{"shell", `unknown operation "shell"; see 'arsenal-run ops list'`},
	} {
		_, err := r.Get(tc.name)
		if !errors.Is(err, ops.ErrUnknownOp) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Get(%q) = %v; want ErrUnknownOp with %q", tc.name, err, tc.want)
		}
	}
}

// TestEntryValidateTypoIsOneProblem checks that a misspelt param is told
// once, with the name meant, and that the operation's own check takes the
// param meant as given: "give command or script" beside "comand: did you
// mean command" would be one mistake told twice, the second misleading.
// A word that starts a param's name at a "_" (name for name_regex) is
// taken as meant too.
func TestEntryValidateTypoIsOneProblem(t *testing.T) {
	for _, tc := range []struct {
		typo, meant string
	}{
		{"comand", "command"},
		{"name", "name_regex"},
	} {
		t.Run(tc.typo, func(t *testing.T) {
			op := &paramsOp{}
			r := ops.NewRegistry()
			r.MustRegister(spec("proc.act",
				ops.Param{Name: "command", Type: ops.TypeList, Items: ops.TypeString},
				ops.Param{Name: "script", Type: ops.TypeString},
				ops.Param{Name: "name_regex", Type: ops.TypeString},
			), op)
			e, _ := r.Get("proc.act")
			_, err := e.Validate(map[string]any{tc.typo: "x"}, true)
			var got ops.ParamErrors
			if !errors.As(err, &got) {
				t.Fatalf("Validate = %T %v; want ParamErrors", err, err)
			}
			want := ops.ParamErrors{{Param: tc.typo, Msg: `unknown parameter (did you mean "` + tc.meant + `"?); proc.act takes command, script, name_regex`}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
			if len(op.got) != 1 || op.got[0][tc.meant] != ops.Deferred {
				t.Errorf("the op's check saw %v; want %s as Deferred", op.got, tc.meant)
			}
		})
	}
}
