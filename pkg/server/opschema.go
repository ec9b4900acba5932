package server

import (
	"slices"
	"sort"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// opInfo is how the API describes an operation: its params and output as
// JSON Schemas.
type opInfo struct {
	Name        string         `json:"name"`
	Category    string         `json:"category"`
	Description string         `json:"description"`
	Risk        string         `json:"risk"`
	Params      map[string]any `json:"params"`
	Output      map[string]any `json:"output"`
}

// describeOps renders every operation of reg, sorted by name.
func describeOps(reg *ops.Registry) []opInfo {
	var out []opInfo
	for _, cat := range reg.Categories() {
		for _, e := range reg.List(cat) {
			out = append(out, describeOp(&e.Spec))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func describeOp(s *ops.Spec) opInfo {
	return opInfo{Name: s.Name, Category: s.Category(), Description: s.Description, Risk: string(s.Risk),
		Params: paramsSchema(s), Output: outputSchema(s)}
}

// paramsSchema is the JSON Schema (draft 2020-12) of an op's params. Checks
// that only the op itself makes (two params that exclude each other) are
// not in it.
func paramsSchema(s *ops.Spec) map[string]any {
	props := map[string]any{}
	required := []string{}
	for i := range s.Params {
		p := &s.Params[i]
		sch := typeSchema(p.Type, p.Items)
		if p.Description != "" {
			sch["description"] = p.Description
		}
		// A secret's default is a credential: any caller who may list
		// the operations would read it.
		if p.Default != nil && !p.Secret {
			sch["default"] = p.Default
		}
		if len(p.Enum) > 0 {
			sch["enum"] = p.Enum
		}
		switch p.Type {
		case ops.TypeInteger, ops.TypeNumber:
			if p.Min != nil {
				sch["minimum"] = *p.Min
			}
			if p.Max != nil {
				sch["maximum"] = *p.Max
			}
		case ops.TypeString:
			if p.MaxLen > 0 {
				sch["maxLength"] = p.MaxLen
			}
		case ops.TypeList:
			if p.MaxLen > 0 {
				sch["maxItems"] = p.MaxLen
			}
		}
		if p.Secret {
			sch["writeOnly"] = true
		}
		props[p.Name] = sch
		if p.Required {
			required = append(required, p.Name)
		}
	}
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": s.OpenParams}
}

// outputSchema describes an op's output fields; ops may add fields.
func outputSchema(s *ops.Spec) map[string]any {
	props := map[string]any{}
	for _, f := range s.Output {
		sch := fieldSchema(f.Type)
		if f.Description != "" {
			sch["description"] = f.Description
		}
		if slices.Contains(s.SecretOutputs, f.Name) {
			sch["writeOnly"] = true // masked: the run shows *** for it
		}
		props[f.Name] = sch
	}
	return map[string]any{"type": "object", "properties": props}
}

func typeSchema(t, items ops.Type) map[string]any {
	switch t {
	case ops.TypeString:
		return map[string]any{"type": "string"}
	case ops.TypeInteger:
		return map[string]any{"type": "integer"}
	case ops.TypeNumber:
		return map[string]any{"type": "number"}
	case ops.TypeBool:
		return map[string]any{"type": "boolean"}
	case ops.TypeMap:
		return map[string]any{"type": "object"}
	case ops.TypeDuration:
		return map[string]any{"type": "string", "pattern": `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`, "examples": []any{"30s", "5m"}}
	case ops.TypeList:
		sch := map[string]any{"type": "array"}
		if items != "" && items != ops.TypeAny {
			sch["items"] = typeSchema(items, "")
		}
		return sch
	}
	return map[string]any{}
}

// fieldSchema maps the loose type names of output fields.
func fieldSchema(t string) map[string]any {
	t = strings.ToLower(t)
	switch {
	case t == "list" || strings.HasPrefix(t, "list"):
		return map[string]any{"type": "array"}
	case t == "map" || t == "object":
		return map[string]any{"type": "object"}
	case t == "bool" || t == "boolean":
		return map[string]any{"type": "boolean"}
	case t == "integer" || t == "int":
		return map[string]any{"type": "integer"}
	case t == "number" || t == "float":
		return map[string]any{"type": "number"}
	}
	// "string", and fields that may be null or vary, are left open.
	return map[string]any{}
}
