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
