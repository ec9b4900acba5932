package engine

import (
	"fmt"
	"regexp"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// outputFieldRE matches a field of a step's output as an expression
// writes it: steps.<id>.output.<field>.
var outputFieldRE = regexp.MustCompile(`^steps\.([A-Za-z_][A-Za-z0-9_-]*)\??\.output\??\.([A-Za-z_][A-Za-z0-9_]*)$`)

// fieldError returns why the output field null is null when the output
// says so beside it in <field>_error (http.request's json_error), or "".
func fieldError(null string, env map[string]any) string {
	m := outputFieldRE.FindStringSubmatch(null)
	if m == nil {
		return ""
	}
	states, _ := env[steps.EnvSteps].(map[string]*steps.StepState)
	st := states[m[1]]
	if st == nil {
		return ""
	}
	out, _ := st.Output.(map[string]any)
	why, _ := out[m[2]+"_error"].(string)
	if why == "" {
		return ""
	}
	return fmt.Sprintf("steps.%s.output.%s_error says: %s", m[1], m[2], firstLine(why))
}
