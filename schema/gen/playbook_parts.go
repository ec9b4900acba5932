package main

// The schemas of the parts a playbook and its steps are built of: inputs,
// schedule, retry, repeat, matrix, concurrency and notify entries.

import "github.com/arsenal-run/arsenal-run/pkg/steps"

// inputTypeSchemas map an input type to the schema of its values.
var inputTypeSchemas = map[string]obj{
	"string":   {"type": "string"},
	"number":   {"type": "number"},
	"integer":  {"type": "integer"},
	"bool":     {"type": "boolean"},
	"list":     {"type": "array"},
	"map":      {"type": "object"},
	"duration": {"type": "string", "pattern": durationPattern},
}

func inputSchema(f steps.Format) obj {
	// The default and the enum values must have the input's type (string
	// when none is given) and a required input has no default. min and
	// max bound numbers; pattern applies to strings and durations.
	typeIs := func(types ...string) obj {
		return obj{"properties": obj{"type": obj{"enum": types}}, "required": []string{"type"}}
	}
	rules := []any{
		obj{
			"if":   obj{"properties": obj{"required": obj{"const": true}}, "required": []string{"required"}},
			"then": obj{"properties": obj{"default": obj{"type": "null"}}},
		},
		obj{
			"if":   obj{"not": obj{"required": []string{"type"}}},
			"then": obj{"properties": obj{"default": nullable(inputTypeSchemas["string"]), "enum": obj{"items": inputTypeSchemas["string"]}}},
		},
		obj{
			"if":   obj{"not": typeIs("number", "integer")},
			"then": obj{"not": obj{"anyOf": []any{obj{"required": []string{"min"}}, obj{"required": []string{"max"}}}}},
		},
		obj{
			"if":   obj{"not": obj{"anyOf": []any{obj{"not": obj{"required": []string{"type"}}}, typeIs("string", "duration")}}},
			"then": obj{"not": obj{"required": []string{"pattern"}}},
		},
	}
	for _, t := range f.InputTypes {
		s, ok := inputTypeSchemas[t]
		if !ok {
			panic("no schema for input type " + t)
		}
		rules = append(rules, obj{
			"if":   typeIs(t),
			"then": obj{"properties": obj{"default": nullable(s), "enum": obj{"items": s}}},
		})
	}
	return obj{
		"description":          "a typed parameter of the playbook",
		"type":                 []string{"object", "null"},
		"additionalProperties": false,
		"properties": obj{
			"type":        obj{"enum": f.InputTypes, "default": "string"},
			"default":     obj{"description": "the value when none is given; of the input's type"},
			"description": obj{"type": "string"},
			"required":    obj{"type": "boolean"},
			"secret":      obj{"type": "boolean", "description": "mask the value wherever the run writes"},
			"env":         obj{"type": "string", "pattern": f.EnvNamePattern, "description": "an environment variable that supplies the value"},
			"from_env":    obj{"type": "string", "pattern": f.EnvNamePattern, "description": "the same as env"},
			"from_file":   obj{"type": "string", "minLength": 1, "pattern": `\S`, "not": obj{"pattern": interpolation}, "description": "a file whose content supplies the value (relative to the playbook's directory)"},
			"enum":        obj{"type": "array", "minItems": 1, "description": "the allowed values, of the input's type"},
			"min":         obj{"type": "number", "description": "the lowest value of a number or integer input"},
			"max":         obj{"type": "number", "description": "the highest value of a number or integer input"},
			"pattern":     obj{"type": "string", "description": "an RE2 pattern the whole value of a string or duration input must match"},
		},
		"allOf": rules,
		// An input written with nothing (null) has neither; required
		// alone would hold for null and refuse it.
		"not": obj{"type": "object", "required": []string{"env", "from_env"}},
	}
}

// nullable allows null besides what s allows.
func nullable(s obj) obj {
	return obj{"anyOf": []any{s, obj{"type": "null"}}}
}

func scheduleSchema(f steps.Format) obj {
	return obj{
		"description":          "when `arsenal-run schedule` starts the playbook",
		"type":                 "object",
		"required":             []string{"cron"},
		"additionalProperties": false,
		"properties": obj{
			"cron": obj{
				"description": "5 fields, 6 with seconds first, or @hourly, @daily, @every 5m...; the time zone goes in timezone",
				"type":        "string",
				"minLength":   1,
				"not":         obj{"pattern": `^\s*(CRON_)?TZ=`},
			},
			"timezone": obj{
				"description": "an IANA time zone name; default UTC",
				"type":        "string",
				"pattern":     f.TimezonePattern,
				"not":         obj{"const": "Local"},
			},
			"overlap":           obj{"enum": f.Overlaps, "default": f.Overlaps[0]},
			"catchup":           obj{"enum": f.Catchups, "default": f.Catchups[0]},
			"jitter":            obj{"$ref": "#/$defs/duration"},
			"starting_deadline": obj{"$ref": "#/$defs/duration"},
		},
	}
}

// orInterpolated allows one ${{ }}, evaluated when the step starts,
// besides what s allows.
func orInterpolated(s obj, d string) obj {
	return obj{"anyOf": []any{s, obj{"$ref": "#/$defs/interpolated"}}, "description": d}
}

func retrySchema(f steps.Format) obj {
	return obj{
		"type":                 []string{"object", "null"},
		"additionalProperties": false,
		"properties": obj{
			"attempts":  orInterpolated(obj{"type": "integer", "minimum": 1, "maximum": f.MaxAttempts, "default": 1}, "total tries"),
			"delay":     orInterpolated(obj{"$ref": "#/$defs/duration"}, "the wait before the second try"),
			"backoff":   obj{"type": "number", "minimum": 1, "maximum": f.MaxBackoff, "default": 1, "description": "multiplier of the delay after each try"},
			"max_delay": orInterpolated(obj{"$ref": "#/$defs/duration"}, "the longest wait"),
			"jitter":    obj{"type": "number", "minimum": 0, "maximum": 1, "description": "fraction of the delay added at random"},
			"when":      obj{"$ref": "#/$defs/condition", "description": "retry only when true; it reads output, error and attempt"},
			"until":     obj{"$ref": "#/$defs/condition", "description": "retry a succeeded attempt until true"},
		},
	}
}

func repeatSchema(f steps.Format) obj {
	return obj{
		"description":          "run the step again until a condition holds",
		"type":                 "object",
		"required":             []string{"until", "timeout"},
		"additionalProperties": false,
		"properties": obj{
			"until":   obj{"$ref": "#/$defs/condition", "description": "the condition waited for; it reads output, error and attempt"},
			"every":   orInterpolated(obj{"$ref": "#/$defs/duration"}, "the wait between attempts; default 10s"),
			"timeout": obj{"$ref": "#/$defs/duration", "description": "how long the repeat may take in all"},
		},
	}
}

func matrixSchema(f steps.Format) obj {
	list := obj{"anyOf": []any{
		obj{"type": "array", "items": obj{"anyOf": []any{obj{"type": "object"}, obj{"$ref": "#/$defs/interpolated"}}}},
		obj{"$ref": "#/$defs/interpolated"},
	}}
	return obj{
		"description":   "the cross product of the axes, as GitHub Actions' matrix",
		"type":          "object",
		"minProperties": 1,
		"properties": obj{
			"include": withDescription(list, "combinations to extend or add"),
			"exclude": withDescription(list, "combinations to leave out"),
		},
		"propertyNames": obj{"pattern": f.IdentPattern, "maxLength": f.MaxIDLen},
		"additionalProperties": obj{
			"description": "an axis: its values",
			"anyOf":       []any{obj{"type": "array", "minItems": 1}, obj{"$ref": "#/$defs/interpolated"}},
		},
	}
}

func concurrencySchema(f steps.Format) obj {
	return obj{
		"type":                 "object",
		"additionalProperties": false,
		"properties": obj{
			"group":  obj{"type": "string", "minLength": 1, "description": "the group's name; may read inputs, env and run.playbook; default the playbook's name"},
			"policy": obj{"enum": f.ConcurrencyPolicies, "default": f.ConcurrencyPolicies[0]},
		},
	}
}

func notifySchema(f steps.Format) obj {
	outcome := obj{"enum": f.NotifyOutcomes}
	return obj{
		"type":                 "object",
		"additionalProperties": false,
		"properties": obj{
			"id": obj{"type": "string", "pattern": f.IDPattern, "maxLength": f.MaxIDLen, "description": "the step id of the entry; default notify_N"},
			"on": obj{
				"description": "the outcomes to send on; default [failure, cancelled]",
				"anyOf":       []any{outcome, obj{"type": "array", "minItems": 1, "uniqueItems": true, "items": outcome}},
			},
			"webhook": obj{"$ref": "#/$defs/" + notifyDef(steps.NotifyWebhookOp), "description": "the parameters of notify.webhook; the run summary fills text, title, fields and link when left out"},
			"email":   obj{"$ref": "#/$defs/" + notifyDef(steps.NotifyEmailOp), "description": "the parameters of notify.email; the run summary fills subject and body when left out"},
		},
		"oneOf": []any{obj{"required": []string{"webhook"}}, obj{"required": []string{"email"}}},
	}
}
