package plugin

// The JSON Schemas of a manifest: read, compiled, and checked against
// their defaults and secret fields, with positions in the manifest.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// schemaOf reads a JSON Schema written in YAML: an object, which must
// compile and describe objects (type: object).
func schemaOf(v *yaml.Node, what string, d *yamlx.Diags) (m map[string]any, valid bool) {
	n := yamlx.Deref(v)
	if n.Kind != yaml.MappingNode {
		d.Add(yamlx.PosOf(n), "%s must be a JSON Schema object, like {type: object, properties: {...}}", what)
		return nil, false
	}
	m, _ = yamlx.Plain(n, d).(map[string]any)
	if names := bareFields(m); names != nil {
		// Its fields written straight under params: or output:, each
		// key would be refused as no keyword, none saying the mistake.
		d.Add(yamlx.PosOf(n), "%s holds fields (%s) where a JSON Schema goes: put them under properties:, as %s: {type: object, properties: {%s: …}}",
			what, strings.Join(names, ", "), what, names[0])
		return nil, false
	}
	if t, _ := m["type"].(string); t != "object" {
		d.Add(yamlx.PosOf(n), "%s must have type: object: operations take and return objects", what)
		return m, false
	}
	if _, err := compile(what, m); err != nil {
		if !schemaProblems(err, n, what, d) {
			d.Add(yamlx.PosOf(n), "%s is not a valid JSON Schema: %s", what, oneLine(err.Error()))
		}
		return m, false
	}
	return m, true
}

// bareFields names the keys of a schema written as its properties alone
// ({who: {type: string}}): none a JSON Schema keyword, each a mapping;
// nil otherwise.
func bareFields(m map[string]any) []string {
	if len(m) == 0 {
		return nil
	}
	for k, v := range m {
		if _, ok := v.(map[string]any); !ok || slices.Contains(schemaKeywords, k) {
			return nil
		}
	}
	return sortedKeys(m)
}

// checkDefaults reports, at the default's own position, each default of
// a top-level params property that the operation would refuse: one not of
// the property's type (which would reach the program as null), or one its
// own schema refuses (enum, pattern, bounds), which would fail every step
// that leaves the param out.
func checkDefaults(n *yaml.Node, schema map[string]any, d *yamlx.Diags) {
	params := paramsOf(schema)
	_, props, err := compileParams(schema)
	if err != nil {
		return // schemaOf reported it
	}
	for _, pr := range params {
		if pr.Default == nil {
			continue
		}
		pos := yamlx.PosOf(nodeAt(n, []string{"properties", pr.Name, "default"}))
		one := ops.Spec{Name: "plugin.params", Params: []ops.Param{pr}}
		if _, err := ops.ValidateParams(&one, map[string]any{pr.Name: pr.Default}); err != nil {
			d.Add(pos, "params.properties.%s.default: %s; give a default the property accepts, or none", pr.Name, strings.TrimPrefix(err.Error(), "param "+pr.Name+": "))
			continue
		}
		if s := props[pr.Name]; s != nil {
			doc, err := jsonDoc(pr.Default)
			if err == nil {
				err = s.Validate(doc)
			}
			if err != nil {
				d.Add(pos, "params.properties.%s.default does not match the property's own schema: %s; give a default the property accepts, or none", pr.Name, outputProblems(err))
			}
		}
	}
}

// checkRequired reports, at its place in the list, each name of the
// params schema's required that is not one of its properties: unless the
// schema says additionalProperties: true, no step could give such a
// param, as unknown ones are refused.
func checkRequired(n *yaml.Node, schema map[string]any, d *yamlx.Diags) {
	if schema["additionalProperties"] == true {
		return // the whole schema checks it when the step runs
	}
	props, _ := schema["properties"].(map[string]any)
	list, _ := schema["required"].([]any)
	for i, r := range list {
		name, ok := r.(string)
		if _, known := props[name]; !ok || known {
			continue
		}
		d.Add(yamlx.PosOf(nodeAt(n, []string{"required", strconv.Itoa(i)})),
			"params.required: %q is not among params.properties, and no step could give it; add it under properties, or remove it from required", name)
	}
}

// checkWriteOnly refuses writeOnly: true anywhere in the params or output
// schema (what) but on a top-level property: only a top-level param or
// field can be masked as a whole (Param.Secret, Spec.SecretOutputs), and a
// nested one silently left in clear, in the audit log, history or the
// report, would be worse than an error. It does not follow aliases
// further than the manifest's node limit.
func checkWriteOnly(n *yaml.Node, what string, d *yamlx.Diags) {
	budget := manifestLimits.MaxNodes
	var walk func(n *yaml.Node, path []string)
	walk = func(n *yaml.Node, path []string) {
		n = yamlx.Deref(n)
		if budget--; budget < 0 || n == nil {
			return
		}
		switch n.Kind {
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, append(path, strconv.Itoa(i)))
			}
		case yaml.MappingNode:
			// The keys of properties (and the like) are names, not keywords.
			names := len(path) > 0 && slices.Contains([]string{"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}, path[len(path)-1])
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				var on bool
				if !names && k.Value == "writeOnly" && yamlx.Deref(v).Decode(&on) == nil && on &&
					!(len(path) == 2 && path[0] == "properties") {
					where := strings.Join(append([]string{what}, path...), ".")
					if what == "params" {
						d.Add(yamlx.PosOf(k), "%s: writeOnly marks only a top-level params property secret, like params.properties.token.writeOnly; make the secret a param of its own, or drop writeOnly", where)
					} else {
						d.Add(yamlx.PosOf(k), "%s: writeOnly marks only a top-level output property secret, like output.properties.token.writeOnly; move the secret value to a top-level field of the output, or drop writeOnly", where)
					}
				}
				walk(v, append(path[:len(path):len(path)], k.Value))
			}
		}
	}
	walk(n, nil)
}

// schemaProblems reports a schema that the JSON Schema meta-schema refuses
// at the node each problem is about, as what.path: the validator's
// sentence, one problem per place. It reports nothing, and returns false,
// for another kind of error.
func schemaProblems(err error, n *yaml.Node, what string, d *yamlx.Diags) bool {
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if !errors.As(err, &sve) || !errors.As(sve.Err, &ve) {
		return false
	}
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		path := strings.Join(append([]string{what}, e.InstanceLocation...), ".")
		if seen[path] {
			return
		}
		seen[path] = true
		at := nodeAt(n, e.InstanceLocation)
		d.Add(yamlx.PosOf(at), "%s: %s%s; see https://json-schema.org/understanding-json-schema/",
			path, oneLine(e.ErrorKind.LocalizedString(printer)), typeAlias(e.InstanceLocation, at))
	}
	walk(ve)
	return len(seen) > 0
}

// jsonTypes are JSON Schema's names of the types a manifest author may
// write as a playbook's inputs (or Go) name them.
var jsonTypes = map[string]string{
	"int": "integer", "list": "array", "map": "object", "dict": "object",
	"bool": "boolean", "float": "number", "str": "string", "duration": "string",
}

// typeAlias names the JSON Schema type of a type: written as a playbook's
// input would be (int, list, map, bool), at, when loc is a type keyword's
// value; "" otherwise.
func typeAlias(loc []string, at *yaml.Node) string {
	l := len(loc)
	if l == 0 || at == nil || at.Kind != yaml.ScalarNode ||
		loc[l-1] != "type" && (l < 2 || loc[l-2] != "type") {
		return ""
	}
	if t, ok := jsonTypes[strings.ToLower(at.Value)]; ok {
		return fmt.Sprintf("; JSON Schema calls %s %s: write type: %s", at.Value, t, t)
	}
	if strings.EqualFold(at.Value, "any") {
		return "; for any value, leave type out"
	}
	return ""
}

// nodeAt follows the keys and indexes of loc from n, as far as the YAML
// goes: a problem is reported at the value it is about, or at the nearest
// node that holds it.
func nodeAt(n *yaml.Node, loc []string) *yaml.Node {
	for _, step := range loc {
		n = yamlx.Deref(n)
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == step {
					next = n.Content[i+1]
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(step); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

// compile compiles a schema held as plain data (draft 2020-12 unless it
// says otherwise).
func compile(name string, schema map[string]any) (*jsonschema.Schema, error) {
	doc, err := jsonDoc(schema)
	if err != nil {
		return nil, err
	}
	c := newCompiler()
	url := "plugin:" + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// newCompiler is a compiler of draft 2020-12 schemas (unless one says
// otherwise) that checks format (date-time, email, ipv4, …), which the
// draft leaves a mere annotation: an author who writes format: means it
// checked, as the docs promise the whole schema is. A format it does not
// know checks nothing.
func newCompiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	return c
}

// jsonDoc passes plain data through JSON into the validator's data model.
func jsonDoc(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}
