package plugin

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Plugin is the operation of one manifest. It is safe for concurrent use.
type Plugin struct {
	m      *Manifest
	spec   ops.Spec
	opt    Options
	params *jsonschema.Schema            // nil: no params schema
	props  map[string]*jsonschema.Schema // each top-level property's schema
	output *jsonschema.Schema            // nil: any object
	mem    *ops.OutputMemory             // the registry's, for the captured output
}

var (
	_ ops.Op             = (*Plugin)(nil)
	_ ops.ParamValidator = (*Plugin)(nil)
	_ ops.CacheKeyer     = (*Plugin)(nil)
)

// CacheKey is the environment the program gets, from environ (nil: the
// process's own): each variable the manifest's env lists, with its value,
// or null when it is not set. A program's answer may depend on any of
// them (AWS_REGION), so a cached answer is only for the same values.
func (p *Plugin) CacheKey(environ []string) any {
	if len(p.m.Env) == 0 {
		return nil
	}
	if environ == nil {
		environ = os.Environ()
	}
	out := make(map[string]any, len(p.m.Env))
	for _, n := range p.m.Env {
		out[n] = nil
	}
	// exec.Cmd passes the last of duplicate entries; so does this.
	for _, kv := range allowed(environ, p.m.Env) {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// Spec returns the operation's spec, as registered.
func (p *Plugin) Spec() ops.Spec { return p.spec }

// Manifest returns the manifest the plugin was made from.
func (p *Plugin) Manifest() *Manifest { return p.m }

// newPlugin builds the operation of a manifest: its spec (parameters from
// the top-level properties of the params schema) and compiled schemas.
func newPlugin(m *Manifest, opt Options) (*Plugin, error) {
	p := &Plugin{m: m, opt: opt, props: map[string]*jsonschema.Schema{}}
	// The manifest's name, not its path: the description is served to
	// every API key, and the host's file layout is none of their business.
	desc := strings.TrimSpace(m.Description) + fmt.Sprintf(" (plugin: %s)", filepath.Base(m.File))
	// Its stderr is shown live, as a shell step's is; its stdout is its result.
	// Its program runs as it is, never in a sandbox: a role that
	// requires one may not run it.
	p.spec = ops.Spec{Name: m.Name, Description: desc, Risk: m.Risk, StreamsOutput: true, Unsandboxed: true}
	if m.Params != nil {
		params, props, err := compileParams(m.Params)
		if err != nil {
			return nil, err
		}
		p.params, p.props = params, props
		p.spec.Params = paramsOf(m.Params)
		p.spec.OpenParams = m.Params["additionalProperties"] == true
	}
	if m.Output != nil {
		s, err := compile("output", m.Output)
		if err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		p.output = s
		p.spec.Output = fieldsOf(m.Output)
		p.spec.SecretOutputs = secretOutputs(m.Output)
		if !slices.ContainsFunc(p.spec.Output, func(f ops.Field) bool { return f.Name == ops.ResourcesKey }) {
			p.spec.Output = append(p.spec.Output, ops.ResourcesField)
		}
	} else {
		// Without an output schema the fields are whatever the program
		// returns: "*" lets a playbook read any of them, as it may of an
		// operation that declares none, and resources is still described.
		p.spec.Output = []ops.Field{ops.ResourcesField, anyField}
	}
	return p, nil
}

// anyField is the output field of a plugin without an output schema.
var anyField = ops.Field{Name: "*", Type: "any", Description: "any field the program returns (the manifest declares no output schema)"}

// secretOutputs names the top-level output properties marked writeOnly,
// whose values the run masks wherever it writes them and the result cache
// never stores. ParseManifest refuses writeOnly deeper down.
func secretOutputs(schema map[string]any) []string {
	props, _ := schema["properties"].(map[string]any)
	var out []string
	for _, name := range sortedKeys(props) {
		if s, _ := props[name].(map[string]any); s["writeOnly"] == true {
			out = append(out, name)
		}
	}
	return out
}

// compileParams compiles the params schema and each of its top-level
// properties on its own, for checking the literal params known at load.
func compileParams(schema map[string]any) (*jsonschema.Schema, map[string]*jsonschema.Schema, error) {
	doc, err := jsonDoc(schema)
	if err != nil {
		return nil, nil, err
	}
	c := newCompiler()
	const u = "plugin:params.json"
	if err := c.AddResource(u, doc); err != nil {
		return nil, nil, err
	}
	whole, err := c.Compile(u)
	if err != nil {
		return nil, nil, fmt.Errorf("params: %w", err)
	}
	props := map[string]*jsonschema.Schema{}
	m, _ := schema["properties"].(map[string]any)
	for name := range m {
		ptr := strings.NewReplacer("~", "~0", "/", "~1").Replace(name)
		s, err := c.Compile(u + "#/properties/" + url.PathEscape(ptr))
		if err != nil {
			return nil, nil, fmt.Errorf("params: property %s: %w", name, err)
		}
		props[name] = s
	}
	return whole, props, nil
}

// paramsOf maps the top-level properties of a params schema to the
// operation's parameters: their JSON type, required, default, enum,
// bounds, description, and writeOnly as secret. A property of several or
// no types takes any value; the whole schema still checks it. A required
// name that is not a property is ParseManifest's to refuse (checkRequired).
func paramsOf(schema map[string]any) []ops.Param {
	props, _ := schema["properties"].(map[string]any)
	var required []string
	if list, ok := schema["required"].([]any); ok {
		for _, r := range list {
			if s, ok := r.(string); ok {
				required = append(required, s)
			}
		}
	}
	var out []ops.Param
	for _, name := range sortedKeys(props) {
		s, _ := props[name].(map[string]any)
		pr := ops.Param{Name: name, Type: typeOf(s), Required: slices.Contains(required, name), Default: s["default"]}
		pr.Description, _ = s["description"].(string)
		pr.Secret, _ = s["writeOnly"].(bool)
		if enum, ok := s["enum"].([]any); ok {
			pr.Enum = enum
		}
		pr.Min, pr.Max = bound(s, "minimum"), bound(s, "maximum")
		switch pr.Type {
		case ops.TypeString:
			pr.MaxLen = length(s, "maxLength")
		case ops.TypeList:
			pr.MaxLen = length(s, "maxItems")
			if items, ok := s["items"].(map[string]any); ok {
				if t := typeOf(items); t != ops.TypeList && t != ops.TypeMap {
					pr.Items = t
				}
			}
		}
		out = append(out, pr)
	}
	return out
}

func typeOf(s map[string]any) ops.Type {
	switch s["type"] {
	case "string":
		return ops.TypeString
	case "integer":
		return ops.TypeInteger
	case "number":
		return ops.TypeNumber
	case "boolean":
		return ops.TypeBool
	case "array":
		return ops.TypeList
	case "object":
		return ops.TypeMap
	}
	return ops.TypeAny
}

func bound(s map[string]any, k string) *float64 {
	switch v := s[k].(type) {
	case int:
		return ops.Bound(float64(v))
	case float64:
		return ops.Bound(v)
	}
	return nil
}

func length(s map[string]any, k string) int {
	if v, ok := s[k].(int); ok && v > 0 && v < math.MaxInt32 {
		return v
	}
	return 0
}

// fieldsOf lists the top-level properties of an output schema.
func fieldsOf(schema map[string]any) []ops.Field {
	props, _ := schema["properties"].(map[string]any)
	var out []ops.Field
	for _, name := range sortedKeys(props) {
		s, _ := props[name].(map[string]any)
		t, _ := s["type"].(string)
		if t == "" {
			t = "any"
		}
		desc, _ := s["description"].(string)
		out = append(out, ops.Field{Name: name, Type: t, Description: desc})
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ValidateParams checks the params against the manifest's schema: at load
// each literal param against its property's schema, at run time the whole
// object.
func (p *Plugin) ValidateParams(params ops.Params, final bool) error {
	if p.params == nil {
		return nil
	}
	if final {
		doc, err := jsonDoc(plainParams(params))
		if err != nil {
			return &ops.ParamError{Msg: err.Error()}
		}
		if err := p.params.Validate(doc); err != nil {
			return schemaErrors(err)
		}
		return nil
	}
	var errs ops.ParamErrors
	for _, name := range sortedKeys(params) {
		s := p.props[name]
		if s == nil || !params.Known(name) || hasDeferred(params[name]) {
			continue
		}
		doc, err := jsonDoc(plain(params[name]))
		if err == nil {
			err = s.Validate(doc)
		}
		if err != nil {
			errs = append(errs, schemaErrorsIn(err, name)...)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func hasDeferred(v any) bool {
	switch x := v.(type) {
	case []any:
		return slices.ContainsFunc(x, hasDeferred)
	case map[string]any:
		for _, e := range x {
			if hasDeferred(e) {
				return true
			}
		}
	}
	return v == ops.Deferred
}

// plainParams turns validated params into JSON data: durations as their
// text.
func plainParams(p ops.Params) map[string]any {
	out := make(map[string]any, len(p))
	for k, v := range p {
		out[k] = plain(v)
	}
	return out
}

func plain(v any) any {
	if d, ok := v.(time.Duration); ok {
		return d.String()
	}
	return v
}

// schemaErrors turns a validation error into one ParamError per leaf
// problem, named by the parameter its instance location starts with.
func schemaErrors(err error) ops.ParamErrors { return schemaErrorsIn(err, "") }

// schemaErrorsIn is schemaErrors for the value of the parameter param
// validated alone ("" for the whole params object): each problem is named
// by param, and located inside it as in the whole object's (at /1: for
// a list's second item).
func schemaErrorsIn(err error, param string) ops.ParamErrors {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return ops.ParamErrors{{Param: param, Msg: err.Error()}}
	}
	var out ops.ParamErrors
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := e.InstanceLocation
			if param != "" {
				loc = append([]string{param}, loc...)
			}
			pe := &ops.ParamError{Msg: "does not match the plugin's params schema: " + oneLine(e.ErrorKind.LocalizedString(printer))}
			if len(loc) > 0 {
				pe.Param = loc[0]
				if len(loc) > 1 {
					pe.Msg = "at /" + strings.Join(loc[1:], "/") + ": " + pe.Msg
				}
			}
			out = append(out, pe)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}
