package main

import "github.com/arsenal-run/arsenal-run/pkg/steps"

// serialProps are the keys of a foreach step's rolling batches.
func serialProps() obj {
	return obj{
		"serial": obj{
			"description": "run the items in rolling batches: a number of items per batch, or \"N%\" of them",
			"oneOf": []any{
				obj{"type": "integer", "minimum": 1, "maximum": steps.MaxForeachItems},
				obj{"type": "string", "pattern": `^(100|[1-9][0-9]?)%$`},
			},
		},
		"max_fail_percentage": obj{"type": "integer", "minimum": 0, "maximum": 100,
			"description": "with serial: stop before the next batch once more than this share of a batch failed"},
	}
}

// serialRules: serial batches a foreach; max_fail_percentage counts the
// failures of serial's batches, which fail_fast: true would cut short.
func serialRules() []any {
	return []any{
		obj{
			"if":   obj{"required": []string{"serial"}},
			"then": obj{"required": []string{"foreach"}},
		},
		obj{
			"if": obj{"required": []string{"max_fail_percentage"}},
			"then": obj{
				"required": []string{"serial"},
				"not":      obj{"properties": obj{"fail_fast": obj{"const": true}}, "required": []string{"fail_fast"}},
			},
		},
	}
}
