package ops

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/internal/chaintoken"
)

// Entry is a registered operation with its optional capabilities resolved
// once, at registration. It is immutable and safe for concurrent use.
type Entry struct {
	Spec      Spec
	op        Op
	validator ParamValidator
	risker    RiskAssessor
	// risksDeferred says risker answers for Deferred parameters itself.
	risksDeferred bool
	closer        io.Closer
}

// Validate checks params against the schema and the operation's own checks,
// and reports every problem of both as ParamErrors, deduplicated and sorted
// by parameter (problems with the whole set first). final is false at load
// time, when some values are still Deferred.
//
// The operation's checks run even when the schema refuses some parameters:
// they then see each refused parameter as Deferred (a value not known yet),
// so that they never read a value of the wrong type, nor report a
// parameter as missing when it is merely wrong, and final is false. The
// Params returned are those of the schema check either way.
func (e *Entry) Validate(raw map[string]any, final bool) (Params, error) {
	p, err := ValidateParams(&e.Spec, raw)
	var errs ParamErrors
	if err != nil {
		if !asErr(err, &errs) {
			return p, err
		}
	}
	if e.validator == nil {
		return p, errsOrNil(e.Spec.maskSecrets(raw, mergeParamErrors(errs, nil)))
	}
	checked := p
	if len(errs) > 0 {
		checked = make(Params, len(p)+len(errs))
		for k, v := range p {
			checked[k] = v
		}
		for _, pe := range errs {
			if e.Spec.Param(pe.Param) != nil {
				checked[pe.Param] = Deferred
			} else if m := e.Spec.meant(pe.Param); m != "" {
				// A misspelt param is told once: the check
				// takes the param meant as given.
				if _, ok := checked[m]; !ok {
					checked[m] = Deferred
				}
			}
		}
		final = false
	}
	var own ParamErrors
	if err := e.validator.ValidateParams(checked, final); err != nil {
		var one *ParamError
		switch {
		case asErr(err, &own):
		case asErr(err, &one):
			own = ParamErrors{one}
		default:
			own = ParamErrors{{Msg: err.Error()}}
		}
	}
	return p, errsOrNil(e.Spec.maskSecrets(raw, mergeParamErrors(errs, own)))
}

// maskSecrets masks in errs the values of the params the spec declares
// secret: a check may quote the value it refuses (a plugin's schema
// does: 'hunter2' does not match pattern), and a secret param's value
// need not come from a secret input the run masks (a literal, an
// inventory var, an execute's params), while the error goes to the
// report, the history and the caller. Booleans are not masked, as a
// plugin's own masking leaves them.
func (s *Spec) maskSecrets(raw map[string]any, errs ParamErrors) ParamErrors {
	if len(errs) == 0 {
		return errs
	}
	r := redact.New()
	for _, sp := range s.Params {
		if sp.Secret {
			r.AddValueButBools(raw[sp.Name])
		}
	}
	if r.Empty() {
		return errs
	}
	out := make(ParamErrors, len(errs))
	for i, pe := range errs {
		out[i] = &ParamError{Param: pe.Param, Msg: r.String(pe.Msg)}
	}
	return out
}

// mergeParamErrors appends the operation's problems to the schema's,
// leaves out any told twice, and sorts them by parameter, keeping the
// order within one parameter.
func mergeParamErrors(schema, op ParamErrors) ParamErrors {
	if len(schema)+len(op) == 0 {
		return nil // the common case, on every execute: no allocation
	}
	out := make(ParamErrors, 0, len(schema)+len(op))
	seen := map[ParamError]bool{}
	for _, pe := range append(schema[:len(schema):len(schema)], op...) {
		if pe == nil || seen[*pe] {
			continue
		}
		seen[*pe] = true
		out = append(out, pe)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Param < out[j].Param })
	return out
}

func errsOrNil(errs ParamErrors) error {
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// DeferredRiskAssessor is a RiskAssessor that answers for Deferred
// parameters itself: its RiskFor checks p.Known for every parameter it
// reads and, for one not known yet, answers with the highest risk that
// parameter could give (as http.request does for a computed method).
// AssessesDeferred returns true; it marks the capability and is called
// once, at registration.
type DeferredRiskAssessor interface {
	RiskAssessor
	AssessesDeferred() bool
}

// RiskFor returns the risk of running the operation with these parameters.
//
// At load time some parameters may be Deferred, and preflight decides on
// the risk found then, so it must never be lower than the risk the step
// has when it runs: a RiskAssessor that reads a Deferred value as "" (as
// p.String does) would answer with its lowest risk, preflight would let
// the step through, and it would be denied after the steps before it ran.
// So a RiskAssessor sees only known values: while any parameter is
// Deferred the risk is the highest there is, destructive (the spec names
// no lower bound of its own), unless the operation is a
// DeferredRiskAssessor. Operations without a RiskAssessor have their
// spec's risk whatever their parameters.
func (e *Entry) RiskFor(p Params) Risk {
	switch {
	case e.risker == nil:
		return e.Spec.Risk
	case !e.risksDeferred && hasDeferred(p):
		return RiskDestructive
	}
	return e.risker.RiskFor(p)
}

// RiskReason is what the operation says of why RiskFor(p) is what it is
// (RiskExplainer), "" when it says nothing.
func (e *Entry) RiskReason(p Params) string {
	if x, ok := e.op.(RiskExplainer); ok {
		return x.RiskReason(p)
	}
	return ""
}

// hasDeferred reports whether a param, or a value of a map param (as a
// playbook's loader gives a map computed in part), is Deferred.
func hasDeferred(p Params) bool {
	for _, v := range p {
		if v == Deferred {
			return true
		}
		if m, ok := v.(map[string]any); ok {
			for _, x := range m {
				if x == Deferred {
					return true
				}
			}
		}
	}
	return false
}

// Registry holds operations by name. It is safe for concurrent use; entries
// returned by Get stay valid after Unregister.
type Registry struct {
	mu  sync.RWMutex
	ops map[string]*Entry
	mem *OutputMemory
}

// NewRegistry returns an empty registry, its output memory of
// DefaultOutputMemory.
func NewRegistry() *Registry {
	return &Registry{ops: map[string]*Entry{}, mem: NewOutputMemory(0)}
}

// OutputMemory is the pool the registry's operations share for the
// outputs they build (see OutputMemory): one per registry, so one per
// process in the commands. SetLimit on it sets the process's limit.
func (r *Registry) OutputMemory() *OutputMemory { return r.mem }

// Register adds an operation. The spec is checked (name form, risk, parameter
// types and defaults); a name already taken is ErrDuplicateOp.
func (r *Registry) Register(s Spec, op Op) error {
	if op == nil {
		return fmt.Errorf("op %s: nil implementation", s.Name)
	}
	if err := s.check(); err != nil {
		return err
	}
	e := &Entry{Spec: s, op: op}
	e.validator, _ = op.(ParamValidator)
	e.risker, _ = op.(RiskAssessor)
	if d, ok := op.(DeferredRiskAssessor); ok {
		e.risksDeferred = d.AssessesDeferred()
	}
	e.closer, _ = op.(io.Closer)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.ops[s.Name]; ok {
		return fmt.Errorf("%w: %s", ErrDuplicateOp, s.Name)
	}
	r.ops[s.Name] = e
	return nil
}

// MustRegister is Register for built-in operations, whose specs are fixed at
// compile time; it panics on error.
func (r *Registry) MustRegister(s Spec, op Op) {
	if err := r.Register(s, op); err != nil {
		panic(err)
	}
}

// Unregister removes an operation, closing it if it implements io.Closer.
func (r *Registry) Unregister(name string) error {
	r.mu.Lock()
	e, ok := r.ops[name]
	delete(r.ops, name)
	r.mu.Unlock()
	if !ok {
		return r.unknown(name)
	}
	if e.closer != nil {
		return e.closer.Close()
	}
	return nil
}

// Get returns the operation called name, or an error wrapping ErrUnknownOp
// with a suggestion.
func (r *Registry) Get(name string) (*Entry, error) {
	r.mu.RLock()
	e, ok := r.ops[name]
	r.mu.RUnlock()
	if !ok {
		return nil, r.unknown(name)
	}
	return e, nil
}

func (r *Registry) unknown(name string) error {
	if hint := r.othersHint(name); hint != "" {
		return fmt.Errorf("%w %q%s; %s", ErrUnknownOp, name, hint, ListHint)
	}
	hint := ""
	if c, _, ok := strings.Cut(name, "."); ok && c != "" && len(r.List(c)) == 0 {
		// A whole category missing is most often a plugin not loaded,
		// rather than a misspelt verb.
		hint = fmt.Sprintf("; no operation of category %s is registered: if %s is a plugin operation, %s", c, name, PluginHint)
	}
	return fmt.Errorf("%w %q%s; %s%s", ErrUnknownOp, name, suggest.DidYouMean(name, r.Names()), ListHint, hint)
}

// ListHint is where an unknown-operation error sends its reader for the
// operations there are: the command that lists them. A caller of the REST
// API has no such command; the server puts its endpoint in its place.
const ListHint = "see 'arsenal-run ops list'"

// PluginHint is what an unknown operation of a category nothing
// registers tells to do, if it is a plugin's: the command line's flag. A
// caller of the REST API cannot load plugins; the server puts its own
// words in its place.
const PluginHint = "load it with --plugins DIR (or $ARSENAL_PLUGINS), DIR holding its manifest"

// Names returns every registered name, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.ops))
	for n := range r.ops {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// List returns the operations in a category ("" for all), sorted by name.
func (r *Registry) List(category string) []*Entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []*Entry
	for _, e := range r.ops {
		if category == "" || e.Spec.Category() == category {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.Name < out[j].Spec.Name })
	return out
}

// Categories returns the categories that have operations, sorted.
func (r *Registry) Categories() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range r.List("") {
		if c := e.Spec.Category(); !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// Search returns the operations whose name, description or parameter names
// contain every word of query (case-insensitive), best matches first: a word
// in the name counts more than one in the description.
func (r *Registry) Search(query string) []*Entry {
	words := strings.Fields(strings.ToLower(query))
	type hit struct {
		e     *Entry
		score int
	}
	var hits []hit
	for _, e := range r.List("") {
		name := strings.ToLower(e.Spec.Name)
		desc := strings.ToLower(e.Spec.Description)
		params := strings.ToLower(strings.Join(e.Spec.paramNames(), " "))
		score := 0
		for _, w := range words {
			switch {
			case strings.Contains(name, w):
				score += 3
			case strings.Contains(desc, w):
				score++
			case strings.Contains(params, w):
				score++
			default:
				score = -1
			}
			if score < 0 {
				break
			}
		}
		if score > 0 {
			hits = append(hits, hit{e, score})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	out := make([]*Entry, len(hits))
	for i, h := range hits {
		out[i] = h.e
	}
	return out
}

// Invoke runs the operation with parameters already validated. It is the
// last link of the engine's call chain, which authorizes, bounds, retries,
// masks and audits the call: t proves the caller is that chain (or a test
// of the operation), so that nothing outside this module can reach an
// operation without it. A playbook step and an executed operation
// (runs.Manager.ExecuteOp, the API's execute) both go through the chain.
func (e *Entry) Invoke(ctx context.Context, p Params, t chaintoken.Token) (map[string]any, error) {
	if !t.Valid() {
		return nil, Errorf(ClassSystem, "operation %s: operations run only through the engine's call chain", e.Spec.Name)
	}
	return e.op.Execute(ctx, p)
}

// StopTime is how long the operation may take to return, with params p,
// once its context is done: what it says as a Stopper, else 0.
func (e *Entry) StopTime(p Params) time.Duration {
	if s, ok := e.op.(Stopper); ok {
		return s.StopTime(p)
	}
	return 0
}

// Implements reports whether the entry's operation is of the same type as
// op, for the engine's special cases (playbook.run).
func (e *Entry) Implements(op Op) bool { return reflect.TypeOf(e.op) == reflect.TypeOf(op) }

// Close closes every operation that implements io.Closer.
func (r *Registry) Close() error {
	var first error
	for _, e := range r.List("") {
		if e.closer != nil {
			if err := e.closer.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// As reports whether the entry's operation implements the interface that
// target points to, and if so sets it, as errors.As does. It is how other
// packages read an operation's optional capabilities (the host an ssh.*
// operation targets, say). Interfaces that can run the operation (with an
// Execute method) are never handed out: operations run only through Invoke.
func (e *Entry) As(target any) bool {
	v := reflect.ValueOf(target)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Interface {
		return false
	}
	it := v.Elem().Type()
	if _, runs := it.MethodByName("Execute"); runs || !reflect.TypeOf(e.op).Implements(it) {
		return false
	}
	v.Elem().Set(reflect.ValueOf(e.op))
	return true
}
