package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// repoFile reads a file relative to the repository root.
func repoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docLine returns the line of doc that names `name` in a table row.
func docLine(doc, name string) string {
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(l, "| `"+name+"` |") {
			return l
		}
	}
	return ""
}

// TestLimitsDocumentedWithValues keeps the limits table of docs/playbooks.md
// in step with the code: every exported constant of pkg/steps/limits.go, and
// the limits defined elsewhere, must have a row that shows its value.
func TestLimitsDocumentedWithValues(t *testing.T) {
	doc := repoFile(t, "docs/playbooks.md")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join("..", "steps", "limits.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Type-check the file alone to get the constants' values as the
	// compiler computes them (1 << 20, 10_000, ...).
	pkg, err := (&types.Config{}).Check("steps", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	limits := map[string]string{}
	for _, name := range pkg.Scope().Names() {
		if c, ok := pkg.Scope().Lookup(name).(*types.Const); ok && c.Exported() {
			limits[name] = c.Val().ExactString()
		}
	}
	if len(limits) < 10 {
		t.Fatalf("found %d limits in limits.go; the parse went wrong", len(limits))
	}
	limits["MaxConcurrency"] = strconv.Itoa(steps.MaxConcurrency)
	limits["MaxDuration"] = short.Duration(steps.MaxDuration)
	limits["MinEvery"] = short.Duration(steps.MinEvery)
	limits["MaxEvery"] = short.Duration(steps.MaxEvery)

	for name, val := range limits {
		line := docLine(doc, name)
		if line == "" {
			t.Errorf("docs/playbooks.md has no row | `%s` | in its limits table", name)
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			t.Errorf("row of %s: %q", name, line)
			continue
		}
		// The value cell starts with the value, digits possibly grouped
		// with , or _.
		got := strings.NewReplacer(",", "", "_", "").Replace(strings.TrimSpace(cells[2]))
		if !regexp.MustCompile(`^` + regexp.QuoteMeta(val) + `\b`).MatchString(got) {
			t.Errorf("docs/playbooks.md gives %s as %q; the code says %s", name, strings.TrimSpace(cells[2]), val)
		}
	}
}

// TestCLIDocsCoverEveryFlag checks that docs/cli.md has a section for every
// command that mentions every flag the command defines, and that every flag
// of a section's synopsis and flag tables is one the command has.
func TestCLIDocsCoverEveryFlag(t *testing.T) {
	doc := repoFile(t, "docs/cli.md")
	flagRE := regexp.MustCompile(`--[a-z][a-z0-9-]*`)
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	for _, s := range opsSubcommands() {
		names = append(names, s.name)
	}
	helpFlags := map[string]map[string]bool{} // by section
	for _, name := range names {
		top := strings.Fields(name)[0]
		section := cliDocSection(doc, top)
		if section == "" {
			t.Errorf("docs/cli.md has no section for %s", name)
			continue
		}
		args := append(strings.Fields(name), "--help")
		if c := findCommand(args[0]); c.run == nil {
			args = append([]string{"help"}, strings.Fields(name)...)
		}
		r := runMain(t, args...)
		if helpFlags[top] == nil {
			helpFlags[top] = map[string]bool{}
		}
		for _, f := range flagRE.FindAllString(r.stdout, -1) {
			helpFlags[top][f] = true
			if f != "--help" && !regexp.MustCompile(regexp.QuoteMeta(f)+`([^a-z0-9-]|$)`).MatchString(section) {
				t.Errorf("the section of %s in docs/cli.md does not mention its %s", top, f)
			}
		}
	}
	for top, flags := range helpFlags {
		for _, f := range flagRE.FindAllString(cliDocFlagText(cliDocSection(doc, top)), -1) {
			if !flags[f] {
				t.Errorf("the section of %s in docs/cli.md gives %s, which '%s --help' does not have", top, f, top)
			}
		}
	}
}

// cliDocSection is the section "## `name`" of docs/cli.md, or "".
func cliDocSection(doc, name string) string {
	head := "\n## `" + name + "`\n"
	i := strings.Index(doc, head)
	if i < 0 {
		return ""
	}
	s := doc[i+len(head):]
	if j := strings.Index(s, "\n## "); j >= 0 {
		s = s[:j]
	}
	return s
}

// cliDocFlagText is what of a section of docs/cli.md gives the command's
// own flags: its synopsis (the first code block) and the first cells of its
// tables. Prose also names other commands' flags.
func cliDocFlagText(section string) string {
	var b strings.Builder
	if i := strings.Index(section, "```\n"); i >= 0 {
		rest := section[i+4:]
		if j := strings.Index(rest, "```"); j >= 0 {
			b.WriteString(rest[:j])
		}
	}
	for _, l := range strings.Split(section, "\n") {
		if cells := strings.Split(l, "|"); len(cells) > 2 && strings.HasPrefix(l, "| `") {
			b.WriteString(cells[1] + "\n")
		}
	}
	return b.String()
}

// TestExamplePlaybooks validates playbooks/*.yaml with the registry the
// program uses; TestDocYAMLExamples checks the docs' examples.
func TestExamplePlaybooks(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "playbooks", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example playbooks: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkPlaybook(t, f, b)
	}
}

// TestReadmeValidateOutput runs validate on the README's broken playbook and
// compares the output with what the README and docs/cli.md show.
func TestReadmeValidateOutput(t *testing.T) {
	readme := repoFile(t, "README.md")
	cliDoc := repoFile(t, "docs/cli.md")
	var playbook string
	for _, b := range yamlBlocks(readme) {
		if strings.Contains(b, "name: deploy-check") {
			playbook = b
		}
	}
	if playbook == "" {
		t.Fatal("README.md has no deploy-check playbook")
	}
	const cmd = "$ arsenal-run validate deploy-check.yaml\n"
	i := strings.Index(readme, cmd)
	j := strings.Index(readme, "$ echo $?")
	if i < 0 || j < i {
		t.Fatal("README.md does not show the output of 'arsenal-run validate deploy-check.yaml'")
	}
	shown := readme[i+len(cmd) : j]

	playbookDir(t, map[string]string{"deploy-check.yaml": playbook})
	r := runEnv(t, nil, "validate", "deploy-check.yaml")
	if r.code != ExitUsage || r.stdout != "" {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
	if diff := cmp.Diff(shown, r.stderr); diff != "" {
		t.Errorf("README.md shows other output than validate prints (-readme +actual):\n%s", diff)
	}
	for _, l := range strings.Split(cliDoc, "\n") {
		if strings.HasPrefix(l, "deploy-check.yaml:") && !strings.Contains(r.stderr, l+"\n") {
			t.Errorf("docs/cli.md shows a line validate does not print:\n%s", l)
		}
	}
}

// checkPlaybook fails the test for every problem in a playbook, except an
// operation the registry does not have: such steps are checked in full once
// NewRegistry registers the operation.
func checkPlaybook(t *testing.T, name string, data []byte) {
	t.Helper()
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	_, err = steps.Parse(name, data, reg)
	if err == nil {
		return
	}
	ds, ok := err.(steps.Diagnostics)
	if !ok {
		t.Errorf("%s: %v", name, err)
		return
	}
	for _, d := range ds {
		if strings.HasPrefix(d.Msg, "unknown operation ") {
			t.Logf("%s (not checked until the operation is registered)", d.Error())
			continue
		}
		t.Errorf("%s", d.Error())
	}
}

// yamlBlocks returns the ```yaml fenced blocks of a Markdown text.
func yamlBlocks(md string) []string {
	var out []string
	var cur *strings.Builder
	for _, l := range strings.Split(md, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(l, "```yaml"):
			cur = &strings.Builder{}
		case cur != nil && strings.HasPrefix(l, "```"):
			out = append(out, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(l + "\n")
		}
	}
	return out
}

// TestReadmeSaysHowToInstall: the README's examples call arsenal-run as a
// command on PATH, so it must say how it gets there: go install with the
// module's real path, and a make install target that exists.
func TestReadmeSaysHowToInstall(t *testing.T) {
	readme := repoFile(t, "README.md")
	mod := regexp.MustCompile(`(?m)^module (\S+)$`).FindStringSubmatch(repoFile(t, "go.mod"))
	if mod == nil {
		t.Fatal("go.mod has no module line")
	}
	if cmd := "go install " + mod[1] + "/cmd/arsenal-run@latest"; !strings.Contains(readme, cmd) {
		t.Errorf("README.md does not show %q", cmd)
	}
	if _, err := os.Stat(filepath.Join("..", "..", "cmd", "arsenal-run", "main.go")); err != nil {
		t.Errorf("the package go install names: %v", err)
	}
	if !strings.Contains(readme, "make install") {
		t.Error("README.md does not mention make install")
	}
	if !regexp.MustCompile(`(?m)^install:`).MatchString(repoFile(t, "Makefile")) {
		t.Error("the Makefile has no install target")
	}
	if i, j := strings.Index(readme, "## Install"), strings.Index(readme, "$ arsenal-run "); i < 0 || (j >= 0 && j < i) {
		t.Error("README.md must say how to install before its first example that runs arsenal-run")
	}
}

// TestReadmeOpsList compares the README's 'ops list --category process'
// with what the command prints.
func TestReadmeOpsList(t *testing.T) {
	shown := shownOutput(t, "README.md", "$ arsenal-run ops list --category process\n")
	r := runEnv(t, nil, "ops", "list", "--category", "process")
	r.want(t, ExitOK, nil, nil)
	if diff := cmp.Diff(shown, r.stdout); diff != "" {
		t.Errorf("README.md shows other output than ops list prints (-readme +actual):\n%s", diff)
	}
}

// TestSynopsesMatchDocs: the flags in each command's usage lines (its
// --help) are those of its synopsis in docs/cli.md.
func TestSynopsesMatchDocs(t *testing.T) {
	doc := repoFile(t, "docs/cli.md")
	flagRE := regexp.MustCompile(`--[a-z][a-z0-9-]*`)
	flags := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, f := range flagRE.FindAllString(s, -1) {
			m[f] = true
		}
		return m
	}
	for _, c := range commands() {
		if c.run == nil {
			continue
		}
		i := strings.Index(doc, "## `"+c.name+"`\n\n```\n")
		if i < 0 {
			continue // a section without a synopsis block
		}
		block := doc[i+len("## `"+c.name+"`\n\n```\n"):]
		block = block[:strings.Index(block, "```")]
		r := runMain(t, c.name, "--help")
		usage, _, _ := strings.Cut(r.stdout, "\n\n")
		if diff := cmp.Diff(flags(block), flags(usage)); diff != "" {
			t.Errorf("%s: the flags of docs/cli.md's synopsis and of --help's differ (-docs +help):\n%s", c.name, diff)
		}
	}
}

// TestReadmeExitCodes: every exit code docs/cli.md lists is in the
// README's table too, and the other way round.
func TestReadmeExitCodes(t *testing.T) {
	codes := func(doc string) map[string]bool {
		s := repoFile(t, doc)
		i := strings.Index(s, "## Exit codes")
		if i < 0 {
			t.Fatalf("%s has no exit code table", doc)
		}
		s = s[i+len("## Exit codes"):]
		if j := strings.Index(s, "\n## "); j >= 0 {
			s = s[:j]
		}
		out := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			cell, _, ok := strings.Cut(strings.TrimPrefix(l, "| "), " |")
			if !ok || !strings.HasPrefix(l, "| ") {
				continue
			}
			for _, c := range strings.Split(cell, "/") {
				if c = strings.TrimSpace(c); c != "" && strings.Trim(c, "0123456789") == "" {
					out[c] = true
				}
			}
		}
		return out
	}
	readme, cli := codes("README.md"), codes("docs/cli.md")
	for c := range cli {
		if !readme[c] {
			t.Errorf("docs/cli.md lists exit code %s, README.md does not", c)
		}
	}
	for c := range readme {
		if !cli[c] {
			t.Errorf("README.md lists exit code %s, docs/cli.md does not", c)
		}
	}
}

// shownOutput is what the doc shows a command print: the text after the
// line cmd up to the end of its code block. The test fails when the doc
// does not show cmd.
func shownOutput(t *testing.T, doc, cmd string) string {
	t.Helper()
	text := repoFile(t, doc)
	i := strings.Index(text, cmd)
	if i < 0 {
		t.Fatalf("%s does not show %q", doc, strings.TrimSpace(cmd))
	}
	shown := text[i+len(cmd):]
	return shown[:strings.Index(shown, "```")]
}
