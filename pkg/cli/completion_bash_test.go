package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestBashCompletion sources the bash script into a real bash and calls
// its function as bash does on TAB: COMP_WORDS split at = and : as bash
// splits them, the word under the cursor as $2. The script calls back
// the built binary.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	bin := binary(t)
	dir := t.TempDir()
	for _, f := range []string{"a.yaml", "b.yml", "c.json", "notes.txt"} {
		writePlaybook(t, dir, f, "")
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "arsenal-run.bash")
	r := runMain(t, "completion", "bash")
	if err := os.WriteFile(script, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		words []string // as bash splits the line; the last is under the cursor
		line  string   // the line up to the cursor
		want  []string
	}{
		{[]string{"val"}, "val", []string{"validate"}},
		{[]string{"help", "sch"}, "help sch", []string{"schedule", "schema"}},
		{[]string{"ops", "describe", "control.sl"}, "ops describe control.sl", []string{"control.sleep"}},
		{[]string{"report", "show", "x", "--format", "=", "j"}, "report show x --format=j", []string{"json", "junit"}},
		{[]string{"report", "show", "x", "--format", "="}, "report show x --format=", []string{"text", "markdown", "junit", "html", "json"}},
		{[]string{"remote", "--server", "http", ":", "//127.0.0.1", ":", "1", "e"}, "remote --server http://127.0.0.1:1 e", []string{"exec"}},
		{[]string{"run", ""}, "run ", []string{"a.yaml", "b.yml", "sub"}},
		{[]string{"report", "show", ""}, "report show ", []string{"c.json", "sub"}},
		{[]string{"run", "a.yaml", "--state-dir", ""}, "run a.yaml --state-dir ", []string{"sub"}},
		{[]string{"run", "a.yaml", "--re"}, "run a.yaml --re", []string{"--report", "--report-dir", "--resume"}},
		{[]string{"completion", ""}, "completion ", []string{"bash", "zsh", "fish"}},
		{[]string{"run", "a.yaml", "--input", ""}, "run a.yaml --input ", nil},
	} {
		words := append([]string{"arsenal-run"}, tc.words...)
		line := "arsenal-run " + tc.line
		cur := tc.words[len(tc.words)-1]
		if cur == "=" {
			cur = ""
		}
		prog := `source "$1"; shift
COMP_LINE=$1 COMP_POINT=${#1}; shift
cur=$1; shift
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
_arsenal_run arsenal-run "$cur" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command(bash, append([]string{"--norc", "--noprofile", "-c", prog, "bash", script, line, cur}, words...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%q: %v", tc.line, err)
		}
		got := strings.Fields(string(out))
		// Readline sorts what it shows.
		if diff := cmp.Diff(tc.want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b }), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%q: COMPREPLY (-want +got):\n%s", line, diff)
		}
	}
}

// TestFishCompletion asks a real fish for the completions of a few lines
// (complete -C) with the fish script loaded; zsh, which has no such
// command, is only checked to parse the zsh script.
func TestFishCompletion(t *testing.T) {
	fish, err := exec.LookPath("fish")
	if err != nil {
		t.Skip("fish is not installed")
	}
	bin := binary(t)
	dir := t.TempDir()
	for _, f := range []string{"a.yaml", "c.json"} {
		writePlaybook(t, dir, f, "")
	}
	script := filepath.Join(dir, "arsenal-run.fish")
	if err := os.WriteFile(script, []byte(runMain(t, "completion", "fish").stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string][]string{
		"arsenal-run ops describe control.sl":    {"control.sleep\tWait for a duration"},
		"arsenal-run run ":                       {"a.yaml"},
		"arsenal-run report show x --format=j":   {"--format=json", "--format=junit"},
		"arsenal-run run a.yaml --state-dir=./x": nil,
	} {
		cmd := exec.Command(fish, "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, script, line)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		var got []string
		for _, l := range strings.Split(string(out), "\n") {
			if l != "" {
				got = append(got, l)
			}
		}
		if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("%q: completions (-want +got):\n%s", line, diff)
		}
	}
}

func TestZshScriptParses(t *testing.T) {
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		t.Skip("zsh is not installed")
	}
	cmd := exec.Command(zsh, "-n")
	cmd.Stdin = strings.NewReader(runMain(t, "completion", "zsh").stdout)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("zsh -n: %v\n%s", err, out)
	}
}
