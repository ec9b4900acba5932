package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunInputsFilePositions checks that a bad value in --inputs FILE is
// reported at its file:line:column, and that nothing runs.
func TestRunInputsFilePositions(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	pb := writePlaybook(t, dir, "pb.yaml", `version: 1
name: inputs-file
inputs:
  n: {type: integer, required: true}
  mode: {type: string, enum: [fast, slow], default: fast}
steps:
  - {id: w, op: file.write, with: {path: `+marker+`, content: x}}
`)
	in := filepath.Join(dir, "in.yaml")
	if err := os.WriteFile(in, []byte("n: 1\nmode: medium\nnn: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runMain(t, "run", pb, "--inputs", in)
	for _, want := range []string{
		in + ":2:7: input mode: medium is not an allowed value; give one of: fast, slow\n",
		in + `:3:1: unknown input "nn" (did you mean "n"?)`,
		"nothing ran",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if res.code != ExitUsage {
		t.Errorf("exit %d, want %d", res.code, ExitUsage)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the step ran although the inputs were refused")
	}
}

// TestRunInputsFileTooLarge checks that an --inputs file over the limit
// (1 MiB, as a playbook) is refused with its real size and the real limit,
// and that nothing runs.
func TestRunInputsFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	pb := writePlaybook(t, dir, "pb.yaml", `version: 1
name: inputs-file
steps:
  - {id: w, op: file.write, with: {path: `+marker+`, content: x}}
`)
	big := filepath.Join(dir, "big3.yaml")
	if err := os.WriteFile(big, make([]byte, 3<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runMain(t, "run", pb, "--inputs", big)
	want := "--inputs: " + big + " is 3.0 MiB (3145728 bytes), over the limit of 1 MiB; give a YAML or JSON file of at most 1 MiB"
	if !strings.Contains(res.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
	}
	if strings.Contains(res.stderr, "4 MiB") || strings.Contains(res.stderr, "1048577") {
		t.Errorf("stderr names a wrong limit or size:\n%s", res.stderr)
	}
	if res.code != ExitUsage {
		t.Errorf("exit %d, want %d", res.code, ExitUsage)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the step ran although the inputs file was refused")
	}
}
