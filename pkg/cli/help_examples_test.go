package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHelpShowsExamplesAndDocs: every command's --help ends with command
// lines to copy and where the command is documented; each example is of
// that command, uses only flags its help lists, and each documentation
// file and section named exists.
func TestHelpShowsExamplesAndDocs(t *testing.T) {
	docRE := regexp.MustCompile("(docs/[a-z]+\\.md)(?:, under `([^`]+)`)?")
	for _, c := range commands() {
		r := runMain(t, c.name, "--help")
		if !strings.Contains(r.stdout, "\nDocumentation (in the arsenal-run source tree): docs/") {
			t.Errorf("%s --help does not say where its documentation is:\n%s", c.name, r.stdout)
		}
		for _, m := range docRE.FindAllStringSubmatch(helpExtras[c.name].docs, -1) {
			b, err := os.ReadFile(filepath.Join("..", "..", m[1]))
			if err != nil {
				t.Errorf("%s --help names %s: %v", c.name, m[1], err)
				continue
			}
			if m[2] != "" && !strings.Contains(string(b), "\n## `"+m[2]+"`\n") {
				t.Errorf("%s --help names the section %q of %s, which has none", c.name, m[2], m[1])
			}
		}
		examples := strings.TrimSpace(helpExtras[c.name].examples)
		if examples == "" {
			if c.name != "version" && !strings.Contains(r.stdout, program+" "+c.name+" ") {
				t.Errorf("%s --help shows no example", c.name)
			}
			continue
		}
		if !strings.Contains(r.stdout, "\nExamples:\n  # ") {
			t.Errorf("%s --help shows no examples:\n%s", c.name, r.stdout)
		}
		for _, l := range strings.Split(examples, "\n") {
			if strings.HasPrefix(l, "#") {
				continue
			}
			words := strings.Fields(l)
			if len(words) < 2 || words[0] != program || words[1] != c.name {
				t.Errorf("%s --help: the example %q is not of %s %s", c.name, l, program, c.name)
				continue
			}
			for _, w := range words[2:] {
				if strings.HasPrefix(w, "--") && !strings.Contains(r.stdout, "  "+w+" ") && !strings.Contains(r.stdout, "  "+w+"\n") {
					t.Errorf("%s --help: the example %q uses %s, which its flags do not list", c.name, l, w)
				}
			}
		}
	}
}

// TestHelpExamplesRun: the examples that only read run as shown, on the
// playbooks of the source tree.
func TestHelpExamplesRun(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, args := range [][]string{
		{"validate", filepath.Join(root, "playbooks") + "/"},
		{"run", filepath.Join(root, "playbooks", "hello.yaml"), "--list"},
		{"ops", "list", "--category", "http"},
		{"ops", "describe", "shell.exec"},
		{"ops", "search", "restart"},
		{"schedule", filepath.Join(root, "playbooks") + "/", "--next", "3", "--from", "2027-03-28"},
		{"schema", "playbook"},
	} {
		line := program + " " + strings.ReplaceAll(strings.Join(args, " "), root+string(filepath.Separator), "")
		if !strings.Contains(helpExtras[args[0]].examples, line) {
			t.Errorf("%s --help shows no example %q", args[0], line)
		}
		runMain(t, args...).want(t, ExitOK, nil, nil)
	}
}
