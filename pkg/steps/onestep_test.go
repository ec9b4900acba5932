package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestOneStepIdentity pins the name, path and sha256 an operation executed
// alone is recorded under (the report, the history, the audit log): the
// sha256 is that of {"op":OP,"params":PARAMS} as encoding/json writes it,
// so that the executes of one operation with the same params share it
// across versions.
func TestOneStepIdentity(t *testing.T) {
	reg := testRegistry(t)
	for _, tc := range []struct {
		name, op   string
		params     map[string]any
		wantName   string
		wantSHA256 string
	}{
		{"no params", "control.noop", nil, "execute-control-noop", "cc6691f9db3f0149ec8159e262e762198978e6432a055398b0767d9a90af47ce"},
		{"empty params", "control.noop", map[string]any{}, "execute-control-noop", "cc6691f9db3f0149ec8159e262e762198978e6432a055398b0767d9a90af47ce"},
		{"params", "control.set", map[string]any{
			"greeting": "hello <world> & \u2028 ünï\"code\"\n",
			"n":        3.5, "big": 1e21, "small": 1e-7, "int": json.Number("12"),
			"list":   []any{"a", true, nil, -0.0},
			"nested": map[string]any{"b": 1.0, "a": "x", "": map[string]any{}},
		}, "execute-control-set", "d162b9c3b5103ff4d686a377ab8bb76cf9a93c12333feb7b7f10beccfc769868"},
		{"bad UTF-8", "control.set", map[string]any{"x\xff": "a\xc3"}, "execute-control-set", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pb, err := OneStep(reg, tc.op, tc.params, 0)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantSHA256 == "" {
				tc.wantSHA256 = referenceSHA256(t, tc.op, tc.params)
			}
			got := []string{pb.Name, pb.File, pb.AbsPath(), pb.SHA256}
			want := []string{tc.wantName, "operation " + tc.op, "operation " + tc.op, tc.wantSHA256}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("identity (-want +got):\n%s", diff)
			}
		})
	}
}

// referenceSHA256 is the sha256 of a OneStep playbook written plainly.
func referenceSHA256(t *testing.T, op string, params map[string]any) string {
	t.Helper()
	if params == nil {
		params = map[string]any{}
	}
	data, err := json.Marshal(struct {
		Op     string         `json:"op"`
		Params map[string]any `json:"params"`
	}{op, params})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// BenchmarkOneStep makes the playbook of an execute, as the API does on
// every call.
func BenchmarkOneStep(b *testing.B) {
	reg := testRegistry(b)
	for _, tc := range []struct {
		name, op string
		params   map[string]any
	}{
		{"no params", "control.noop", nil},
		{"params", "control.set", map[string]any{"greeting": "hello", "n": 3.5, "list": []any{"a", "b"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := OneStep(reg, tc.op, tc.params, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestOneStepHashesSecretsMasked: the sha256 an execute is recorded under
// (in reports, the history and audit lines other keys may read) is of its
// params with the secret ones masked, so that a short password cannot be
// found by hashing guesses until one matches; calls that differ only in a
// secret share it.
func TestOneStepHashesSecretsMasked(t *testing.T) {
	reg := ops.NewRegistry()
	reg.MustRegister(ops.Spec{Name: "test.login", Description: "logs in", Risk: ops.RiskRead, Params: []ops.Param{
		{Name: "user", Type: ops.TypeString},
		{Name: "note", Type: ops.TypeString},
		{Name: "password", Type: ops.TypeString, Secret: true},
	}}, ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return nil, nil }))
	hash := func(params map[string]any) string {
		t.Helper()
		pb, err := OneStep(reg, "test.login", params, 0)
		if err != nil {
			t.Fatal(err)
		}
		return pb.SHA256
	}
	a := hash(map[string]any{"user": "ops", "password": "hunter2", "note": "was hunter2"})
	b := hash(map[string]any{"user": "ops", "password": "letmein", "note": "was letmein"})
	if a != b {
		t.Errorf("calls differing only in a secret were recorded under %s and %s; want one sha256, the secret masked", a, b)
	}
	if guess := referenceSHA256(t, "test.login", map[string]any{"user": "ops", "password": "hunter2", "note": "was hunter2"}); a == guess {
		t.Errorf("the sha256 %s is that of the params with the password as given: a guess can be checked against it", a)
	}
	if want := referenceSHA256(t, "test.login", map[string]any{"user": "ops", "password": redact.Mask, "note": "was " + redact.Mask}); a != want {
		t.Errorf("sha256 %s, want %s: the params with the secret masked", a, want)
	}
	if c := hash(map[string]any{"user": "root", "password": "hunter2"}); c == a {
		t.Errorf("calls differing in a plain param share the sha256 %s", c)
	}
}
