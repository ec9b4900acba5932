package plugin

import (
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// schemaKeywords are the keywords of JSON Schema draft 2020-12, and those
// of the earlier drafts a schema's $schema may ask for.
var schemaKeywords = []string{
	"$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "$comment", "$defs",
	"allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas",
	"prefixItems", "items", "contains", "properties", "patternProperties", "additionalProperties", "propertyNames",
	"unevaluatedItems", "unevaluatedProperties",
	"type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
	"maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains",
	"maxProperties", "minProperties", "required", "dependentRequired",
	"title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
	"format", "contentEncoding", "contentMediaType", "contentSchema",
	"definitions", "dependencies", "additionalItems", "$recursiveRef", "$recursiveAnchor", "id",
}

// Keywords whose value is a schema, a list of schemas, or an object of
// schemas by name.
var (
	oneSchema     = []string{"additionalProperties", "items", "additionalItems", "contains", "propertyNames", "not", "if", "then", "else", "unevaluatedItems", "unevaluatedProperties", "contentSchema"}
	schemaList    = []string{"allOf", "anyOf", "oneOf", "prefixItems", "items"}
	schemasByName = []string{"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"}
)

// checkKeywords refuses a key of the params or output schema (what) that
// is no JSON Schema keyword, at its file:line:column: a validator ignores
// such a key, so a misspelt requried or patern would silently check
// nothing. A key starting with x- is an extension of the author's own, and
// left alone.
func checkKeywords(n *yaml.Node, what string, d *yamlx.Diags) {
	budget := manifestLimits.MaxNodes
	var schema func(n *yaml.Node, path []string)
	schema = func(n *yaml.Node, path []string) {
		n = yamlx.Deref(n)
		if budget--; budget < 0 || n == nil || n.Kind != yaml.MappingNode {
			return // a boolean schema, or not a schema: the meta-schema says so
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], yamlx.Deref(n.Content[i+1])
			key := k.Value
			at := append(path[:len(path):len(path)], key)
			switch {
			case strings.HasPrefix(key, "x-"):
			case !slices.Contains(schemaKeywords, key):
				d.Add(yamlx.PosOf(k), "%s: %q is not a JSON Schema keyword%s, and a validator would ignore it; correct it, or start an annotation of your own with x-",
					strings.Join(append([]string{what}, at...), "."), key, suggest.DidYouMean(key, schemaKeywords))
			case v == nil:
			case slices.Contains(schemasByName, key) && v.Kind == yaml.MappingNode:
				for j := 0; j+1 < len(v.Content); j += 2 {
					schema(v.Content[j+1], append(at[:len(at):len(at)], v.Content[j].Value))
				}
			case slices.Contains(schemaList, key) && v.Kind == yaml.SequenceNode:
				for j, c := range v.Content {
					schema(c, append(at[:len(at):len(at)], strconv.Itoa(j)))
				}
			case slices.Contains(oneSchema, key):
				schema(v, at)
			}
		}
	}
	schema(n, nil)
}
