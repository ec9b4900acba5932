package steps

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLeadingZeroIsOneNumber: an integer written with a leading 0 is the
// number YAML reads, octal, wherever it stands. It was 8 as retry.attempts
// and 10 as an input's default or a parameter in the same file.
func TestLeadingZeroIsOneNumber(t *testing.T) {
	src := `version: 1
name: octal
inputs:
  n: {type: integer, default: 010}
vars:
  v: 010
steps:
  - id: a
    op: control.set
    with: {n: 010, list: [010], map: {n: 010}}
    retry: {attempts: 010}
`
	pb, err := Parse("p.yaml", []byte(src), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{
		"default":  pb.Inputs[0].Default,
		"var":      pb.Vars[0].Value.Lit,
		"param":    pb.Steps[0].Params["n"],
		"list":     pb.Steps[0].Params["list"],
		"map":      pb.Steps[0].Params["map"],
		"attempts": pb.Steps[0].Retry.Attempts,
	}
	want := map[string]any{
		"default": 8, "var": 8, "param": 8, "list": []any{8}, "map": map[string]any{"n": 8}, "attempts": 8,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if len(pb.Warnings) != 6 {
		t.Errorf("want a warning for each 010, got:\n%v", pb.Warnings)
	}
}

// TestLeadingZeroInInputs: an inputs file, which has no place for a
// warning, refuses an octal-looking number rather than take 83 for 0123;
// a secret's value, a default or a file's, is never shown in the message.
func TestLeadingZeroInInputs(t *testing.T) {
	src := `version: 1
name: octal
inputs:
  ticket: {type: integer}
  pin: {type: integer, secret: true, default: 0471}
steps:
  - {id: a, op: control.noop}
`
	pb, err := Parse("p.yaml", []byte(src), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	var warns []string
	for _, w := range pb.Warnings {
		warns = append(warns, w.Error())
	}
	want := []string{"p.yaml:5:47: warning: default of secret input pin: a number with a leading 0 is octal in YAML (the value is not shown); quote it for text, or write it without the 0"}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}

	_, err = ParseInputs("in.yaml", []byte("ticket: 0123\npin: 0471\n"), pb)
	got := ""
	if err != nil {
		got = err.Error()
	}
	wantErr := "in.yaml:1:9: input ticket: 0123 is the octal number 83 in YAML (a leading 0 means octal); write 83, or 0o123 to say octal, or quote it (\"0123\") for text\n" +
		"in.yaml:2:6: input pin: a number with a leading 0 is octal in YAML (the value is not shown); quote it for text, or write it without the 0"
	if diff := cmp.Diff(wantErr, got); diff != "" {
		t.Errorf("inputs file (-want +got):\n%s", diff)
	}
	if v, err := ParseInputs("in.yaml", []byte("ticket: 123\npin: 0o471\n"), pb); err != nil || v["ticket"] != 123 || v["pin"] != 313 {
		t.Errorf("plain numbers: %v, %v", v, err)
	}
}
