package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// makeRace runs make's race target from the repository's root with PATH
// set to path and the given extra environment, and returns its output and
// error. CI, ARSENAL_CI, CGO_ENABLED, CC and GO are dropped from the
// environment, so the Makefile decides as on a user's machine.
func makeRace(t *testing.T, path string, dryRun bool, extra ...string) (string, error) {
	t.Helper()
	args := []string{"race"}
	if dryRun {
		args = []string{"-n", "race"}
	}
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make is not installed")
	}
	cmd := exec.Command(mk, args...)
	cmd.Dir = filepath.Join("..", "..")
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "PATH", "CI", "ARSENAL_CI", "CGO_ENABLED", "CC", "GO", "MAKEFLAGS", "MFLAGS", "MAKELEVEL":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PATH="+path)
	cmd.Env = append(cmd.Env, extra...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// goOnlyPath is a directory holding go alone, as on a machine with Go and
// no C compiler (make is found by its absolute path).
func goOnlyPath(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	dir := t.TempDir()
	if err := os.Symlink(goBin, filepath.Join(dir, "go")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestMakeTestWithGoAlone: the README's second command, `make test`, must
// work on a machine with Go and no C compiler. The race detector needs one,
// so there the tests run without it, saying so; with one, they run with it.
func TestMakeTestWithGoAlone(t *testing.T) {
	out, err := makeRace(t, goOnlyPath(t), true)
	if err != nil {
		t.Fatalf("make -n race: %v\n%s", err, out)
	}
	if strings.Contains(out, "-race") {
		t.Errorf("without a C compiler, make race still runs the race detector, which cannot build:\n%s", out)
	}
	if !strings.Contains(out, "CGO_ENABLED=0 go test") || !strings.Contains(out, "without the race detector") {
		t.Errorf("without a C compiler, make race should run the tests with CGO_ENABLED=0 and say so:\n%s", out)
	}

	if cc, err := exec.Command("go", "env", "CC").Output(); err == nil && len(strings.Fields(string(cc))) > 0 {
		if _, err := exec.LookPath(strings.Fields(string(cc))[0]); err == nil {
			out, err := makeRace(t, os.Getenv("PATH"), true)
			if err != nil {
				t.Fatalf("make -n race: %v\n%s", err, out)
			}
			if !strings.Contains(out, "CGO_ENABLED=1 go test -race") {
				t.Errorf("with a C compiler, make race should run the race detector:\n%s", out)
			}
		}
	}
}

// TestMakeRaceUnderCIWithoutCompiler: under CI the race detector is never
// dropped in silence: without a C compiler make race fails, naming what to
// install, before any test runs.
func TestMakeRaceUnderCIWithoutCompiler(t *testing.T) {
	out, err := makeRace(t, goOnlyPath(t), false, "CI=true")
	if err == nil {
		t.Fatalf("make race under CI without a C compiler succeeded:\n%s", out)
	}
	if !strings.Contains(out, "no C compiler") || !strings.Contains(out, "gcc") {
		t.Errorf("make race should name the missing C compiler and what to install:\n%s", out)
	}
	if strings.Contains(out, "go test") {
		t.Errorf("make race ran the tests under CI without the race detector:\n%s", out)
	}
}
