package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestParamsSchemaHidesASecretDefault: the operations listing, which any
// caller who may list operations reads (and the console shows), gives a
// secret param's writeOnly but never its default, a credential; other
// defaults are given.
func TestParamsSchemaHidesASecretDefault(t *testing.T) {
	s := &ops.Spec{Name: "acme.sd", Risk: ops.RiskRead, Params: []ops.Param{
		{Name: "token", Type: ops.TypeString, Secret: true, Default: "hunter2-default"},
		{Name: "level", Type: ops.TypeInteger, Default: 7},
	}}
	b, err := json.Marshal(paramsSchema(s))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "hunter2") {
		t.Errorf("the secret default is listed: %s", b)
	}
	if !strings.Contains(string(b), `"writeOnly":true`) || !strings.Contains(string(b), `"default":7`) {
		t.Errorf("schema: %s", b)
	}
}

// TestOutputSchemaMarksSecretOutputs: an output field the operation
// declares secret (a plugin's writeOnly output, Spec.SecretOutputs) is
// writeOnly in the listing, as a secret param is, so that a client knows
// it reads *** there and not the value; other fields are not.
func TestOutputSchemaMarksSecretOutputs(t *testing.T) {
	s := &ops.Spec{Name: "acme.so", Risk: ops.RiskRead, SecretOutputs: []string{"session"},
		Output: []ops.Field{{Name: "session", Type: "string"}, {Name: "user", Type: "string"}}}
	props, _ := outputSchema(s)["properties"].(map[string]any)
	if sch, _ := props["session"].(map[string]any); sch["writeOnly"] != true {
		t.Errorf("the secret output: %v", props["session"])
	}
	if sch, _ := props["user"].(map[string]any); sch["writeOnly"] != nil {
		t.Errorf("a plain output: %v", props["user"])
	}
}
