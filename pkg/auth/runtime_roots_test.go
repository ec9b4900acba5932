package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRunTimeRootsDenialNamesEachRole: a path refused when the step runs
// (computed by an expression) names each held role with its own roots or
// reason, and the policy file to widen them in, not "the caller's role in
// the policy file (--policy)" over the roots of all roles run together,
// which read as if a path in either role's roots would do for any call.
func TestRunTimeRootsDenialNamesEachRole(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	base := t.TempDir()
	for _, d := range []string{"a", "b", "c", "pb"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	a, b, c := filepath.Join(base, "a"), filepath.Join(base, "b"), filepath.Join(base, "c")
	if err := os.WriteFile(filepath.Join(a, "in.txt"), []byte("A\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(base, "policy.yaml")
	p, err := ParsePolicy(file, []byte(`version: 1
roles:
  ra: {allow: [file.write, file.copy], file_roots: [`+a+`]}
  rb: {allow: [file.write, file.copy], file_roots: [`+b+`]}
  viewer: {max_risk: read}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "pb")
	out := filepath.Join(c, "out.txt")
	write := loadOneStep(t, reg, dir, "w", `{id: w, op: file.write, with: {path: "${{ '`+out+`' }}", content: hi}}`)
	copyTo := loadOneStep(t, reg, dir, "cp", `{id: cp, op: file.copy, with: {src: `+filepath.Join(a, "in.txt")+`, dest: "${{ '`+filepath.Join(b, "x.txt")+`' }}"}}`)

	msg := func(st *report.Step) string {
		t.Helper()
		if st.Status != report.StatusDenied || st.Error == nil {
			t.Fatalf("step %s: %+v; want it denied", st.Status, st.Error)
		}
		return st.Error.Message
	}
	m := msg(runAs(t, p, reg, write, "viewer", "ra", "rb"))
	for _, want := range []string{
		"(role ra: " + a + "; role rb: " + b + ")",
		"one call is allowed whole by one role",
		"file_roots of role ra or role rb in the policy file " + file,
		"role viewer",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("viewer + ra + rb: %s\nwant it to name %q", m, want)
		}
	}
	if strings.Contains(m, "caller's role") {
		t.Errorf("viewer + ra + rb: %s\nnames no role", m)
	}
	if m := msg(runAs(t, p, reg, write, "ra")); !strings.Contains(m, "(role ra: "+a+")") || !strings.Contains(m, "file_roots of role ra in the policy file "+file) {
		t.Errorf("ra: %s", m)
	}
	// src narrowed the call to ra: dest is judged by ra's roots alone,
	// and rb is named as left out by what the call touched before.
	m = msg(runAs(t, p, reg, copyTo, "ra", "rb"))
	if !strings.Contains(m, "(role ra: "+a+")") || !strings.Contains(m, "role rb allows the operation but not what the call touched before") {
		t.Errorf("ra + rb, a copy from a into b: %s", m)
	}
}
