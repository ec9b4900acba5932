package plugin_test

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// TestFormatIsChecked: a params or output property with format: (date-time,
// email, ipv4, …) refuses a value not of that format, as the docs promise
// the whole schema is checked; JSON Schema 2020-12 would otherwise take
// format as a mere annotation and check nothing.
func TestFormatIsChecked(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.prog", "#!/bin/sh\necho '{\"at\": \"not a time\"}'\n", 0o755)
	write(t, dir, "f.yaml", "name: acme.f\n"+head+`params:
  type: object
  properties:
    when: {type: string, format: date-time}
    addr: {type: string, format: ipv4}
output:
  type: object
  properties:
    at: {type: string, format: date-time}
`, 0o644)
	reg, diags := loadDiags(t, dir)
	if diags != nil {
		t.Fatalf("load: %s", strings.Join(diags, "\n"))
	}
	e, err := reg.Get("acme.f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Validate(map[string]any{"when": "2025-01-02T03:04:05Z", "addr": "10.0.0.1"}, false); err != nil {
		t.Fatalf("values of the formats: %v", err)
	}
	for _, final := range []bool{false, true} {
		_, err := e.Validate(map[string]any{"when": "yesterday", "addr": "10.0.0.300"}, final)
		if err == nil || !strings.Contains(err.Error(), "param when: ") || !strings.Contains(err.Error(), "date-time") ||
			!strings.Contains(err.Error(), "param addr: ") || !strings.Contains(err.Error(), "ipv4") {
			t.Errorf("final %v: values not of the formats: %v", final, err)
		}
	}
	out, err := opstest.Execute(reg, callCtx(), "acme.f", nil)
	if err == nil || !strings.Contains(err.Error(), "does not match the output schema") || !strings.Contains(err.Error(), "date-time") {
		t.Errorf("an answer not of the format: out %v, err %v", out, err)
	}
}
