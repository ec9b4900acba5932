package main

// The schemas of the operations' parameters, under a step's with:.

import (
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

func withDescription(s obj, d string) obj {
	out := obj{"description": d}
	for k, v := range s {
		out[k] = v
	}
	return out
}

func required(s *ops.Spec) []string {
	var out []string
	for _, p := range s.Params {
		if p.Required {
			out = append(out, p.Name)
		}
	}
	return out
}

// withSchema describes an operation's with: mapping.
func withSchema(s *ops.Spec) obj {
	props := obj{}
	for i := range s.Params {
		props[s.Params[i].Name] = paramSchema(&s.Params[i])
	}
	out := obj{
		"description":          s.Description,
		"type":                 []string{"object", "null"},
		"properties":           props,
		"additionalProperties": s.OpenParams,
	}
	if req := required(s); len(req) > 0 {
		out["type"] = "object"
		out["required"] = req
	}
	return out
}

// paramSchema describes one parameter: a value of its type, or, unless the
// parameter refuses interpolation, a ${{ }} string that is checked once it
// is evaluated. An optional parameter may also be null, meaning unset.
func paramSchema(p *ops.Param) obj {
	v := typeSchema(p.Type, p.Min != nil && *p.Min <= 0)
	if len(p.Enum) > 0 {
		v["enum"] = p.Enum
	}
	if p.Min != nil && p.Type != ops.TypeDuration {
		v["minimum"] = *p.Min
	}
	if p.Max != nil && p.Type != ops.TypeDuration {
		v["maximum"] = *p.Max
	}
	if p.MaxLen > 0 {
		switch p.Type {
		case ops.TypeString:
			v["maxLength"] = p.MaxLen
		case ops.TypeList:
			v["maxItems"] = p.MaxLen
		}
	}
	if p.Type == ops.TypeList && p.Items != "" && p.Items != ops.TypeAny {
		v["items"] = obj{"anyOf": []any{typeSchema(p.Items, false), obj{"$ref": "#/$defs/interpolated"}}}
	}
	alts := []any{v}
	if !p.NoInterpolation {
		alts = append(alts, obj{"$ref": "#/$defs/interpolated"})
	}
	if !p.Required {
		alts = append(alts, obj{"type": "null"})
	}
	out := obj{"anyOf": alts}
	if len(alts) == 1 {
		out = v
	}
	if p.NoInterpolation {
		fix := ""
		if p.Fix != "" {
			fix = "; " + p.Fix
		}
		out = obj{"allOf": []any{out, obj{"not": obj{"type": "string", "pattern": interpolation}}}, "$comment": "${{ }} is not allowed here" + fix}
	}
	if p.Description != "" {
		out["description"] = p.Description
	}
	if p.Default != nil {
		out["default"] = p.Default
	}
	return out
}

// typeSchema is the schema of a value of type t. zeroOK allows a zero
// duration, for durations with a minimum of 0.
func typeSchema(t ops.Type, zeroOK bool) obj {
	switch t {
	case ops.TypeString:
		return obj{"type": "string"}
	case ops.TypeInteger:
		return obj{"type": "integer"}
	case ops.TypeNumber:
		return obj{"type": "number"}
	case ops.TypeBool:
		return obj{"type": "boolean"}
	case ops.TypeList:
		return obj{"type": "array"}
	case ops.TypeMap:
		return obj{"type": "object"}
	case ops.TypeDuration:
		if zeroOK {
			return obj{"type": "string", "pattern": opDurationPattern}
		}
		return obj{"$ref": "#/$defs/op_duration"}
	}
	return obj{}
}
