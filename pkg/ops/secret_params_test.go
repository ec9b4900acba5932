package ops_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestEntryValidateMasksSecretParams checks that a check quoting the value
// it refuses (a plugin's schema does) does not show a secret param's
// value: it need not come from a secret input the run masks (a literal,
// an inventory var, an execute's params), and the error goes to the
// report and the history. The values of other params are shown.
func TestEntryValidateMasksSecretParams(t *testing.T) {
	op := &paramsOp{errs: ops.ParamErrors{
		{Param: "token", Msg: "'hunter2-token' does not match pattern '^tok_'"},
		{Msg: "token 'hunter2-token' and user 'alice' do not go together"},
		{Param: "user", Msg: "'alice' is not allowed"},
	}}
	r := ops.NewRegistry()
	r.MustRegister(spec("acme.login",
		ops.Param{Name: "token", Type: ops.TypeString, Secret: true},
		ops.Param{Name: "user", Type: ops.TypeString},
	), op)
	e, _ := r.Get("acme.login")
	for _, final := range []bool{false, true} {
		_, err := e.Validate(map[string]any{"token": "hunter2-token", "user": "alice"}, final)
		var got ops.ParamErrors
		if !errors.As(err, &got) {
			t.Fatalf("Validate = %T %v; want ParamErrors", err, err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Validate(final %v) = %q; shows the secret param's value", final, err)
		}
		for _, want := range []string{"token: '***' does not match pattern '^tok_'", "token '***' and user 'alice'", "user: 'alice' is not allowed"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Validate(final %v) = %q; want it to hold %q", final, err, want)
			}
		}
	}
	// The op's own errors are left as they were.
	if m := op.errs[0].Msg; !strings.Contains(m, "hunter2") {
		t.Errorf("the op's error was changed in place: %q", m)
	}
}
