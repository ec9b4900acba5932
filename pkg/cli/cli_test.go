package cli

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/schema"
)

// result is what one invocation printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// runMain calls Main with buffers, as the program would be run with args.
func runMain(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// runEnv calls the dispatcher with a fixed environment instead of the
// process's, for behaviour that depends on variables.
func runEnv(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		stdin:       strings.NewReader(""),
		stdout:      &out,
		stderr:      &errb,
		getenv:      func(k string) string { return vars[k] },
		newRegistry: NewRegistry,
	}
	code := dispatch(e, args, commands())
	return result{code, out.String(), errb.String()}
}

func (r result) want(t *testing.T, code int, stdout, stderr []string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, s := range stdout {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout does not contain %q:\n%s", s, r.stdout)
		}
	}
	for _, s := range stderr {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr does not contain %q:\n%s", s, r.stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	re := regexp.MustCompile(`^arsenal-run \S+ \(go[0-9][^,]*, [a-z0-9]+/[a-z0-9]+\)\n$`)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := runMain(t, args...)
		r.want(t, ExitOK, nil, nil)
		if !re.MatchString(r.stdout) || r.stderr != "" {
			t.Errorf("%v: stdout %q, stderr %q", args, r.stdout, r.stderr)
		}
	}
	runMain(t, "version", "extra").want(t, ExitUsage, nil, []string{"takes no arguments"})
}

func TestVersionFromLinker(t *testing.T) {
	old := version
	t.Cleanup(func() { version = old })
	version = "v1.2.3"
	if !strings.HasPrefix(runMain(t, "version").stdout, "arsenal-run v1.2.3 (") {
		t.Error("the -X version is not printed")
	}
}

func TestNoArguments(t *testing.T) {
	r := runMain(t)
	r.want(t, ExitUsage, nil, []string{"Usage: arsenal-run COMMAND", "validate", "ops"})
	if r.stdout != "" {
		t.Errorf("usage error printed to stdout: %q", r.stdout)
	}
}

func TestUnknownCommand(t *testing.T) {
	runMain(t, "valdate", "x.yaml").want(t, ExitUsage, nil, []string{`unknown command "valdate" (did you mean "validate"?)`, "arsenal-run help"})
	runMain(t, "frobnicate").want(t, ExitUsage, nil, []string{`unknown command "frobnicate"`})
	runMain(t, "--role", "x").want(t, ExitUsage, nil, []string{"--role is not a command"})
	runMain(t, "help", "valdate").want(t, ExitUsage, nil, []string{`did you mean "validate"`})
	// help is a command too, as the overview lists it.
	runMain(t, "help", "help").want(t, ExitOK, []string{"Commands:", "show help for a command"}, nil)
}

func TestHelpForEveryCommand(t *testing.T) {
	r := runMain(t, "help")
	r.want(t, ExitOK, []string{"Commands:"}, nil)
	for _, alias := range [][]string{{"-h"}, {"--help"}, {"help", "--help"}, {"help", "-h"}} {
		if got := runMain(t, alias...); got.stdout != r.stdout || got.code != ExitOK {
			t.Errorf("%v differs from help", alias)
		}
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
		if !strings.Contains(r.stdout, "  "+c.name+" ") {
			t.Errorf("help does not list %s", c.name)
		}
	}
	for _, s := range opsSubcommands() {
		names = append(names, s.name)
	}
	for _, name := range names {
		words := strings.Fields(name)
		forms := [][]string{append([]string{"help"}, words...)}
		if c := findCommand(words[0]); c.run != nil {
			forms = append(forms, append(append([]string{}, words...), "--help"), append(append([]string{}, words...), "-h"))
		}
		for _, args := range forms {
			r := runMain(t, args...)
			r.want(t, ExitOK, []string{"Usage: arsenal-run " + name, "Flags:", "--help", "Exit codes:"}, nil)
			if r.stderr != "" {
				t.Errorf("%v printed to stderr: %s", args, r.stderr)
			}
		}
	}
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func TestFlagErrors(t *testing.T) {
	runMain(t, "validate", "--rol", "x", "a.yaml").want(t, ExitUsage, nil, []string{`unknown flag --rol (did you mean --role?)`, "arsenal-run validate --help"})
	// Flags of other tools get this program's name for the same thing.
	runMain(t, "remote", "--url", "http://127.0.0.1:1", "runs").want(t, ExitUsage, nil, []string{`unknown flag --url (did you mean --server?)`})
	runMain(t, "run", "--extra-vars", "who=x", "a.yaml").want(t, ExitUsage, nil, []string{`unknown flag --extra-vars (did you mean --input?)`})
	runMain(t, "run", "--check", "a.yaml").want(t, ExitUsage, nil, []string{`unknown flag --check (did you mean --dry-run?)`})
	runMain(t, "run", "-i", "who=x", "a.yaml").want(t, ExitUsage, nil, []string{`unknown flag -i (did you mean --input?)`})
	runMain(t, "validate", "a.yaml", "--policy").want(t, ExitUsage, nil, []string{"flag --policy needs a value"})
	// Inputs written as Make or Ansible's -e take them, after the playbook.
	runMain(t, "run", "a.yaml", "env=staging").want(t, ExitUsage, nil, []string{"env=staging is not a playbook: give an input with --input env=staging"})
	runMain(t, "run", "a.yaml", "b.yaml").want(t, ExitUsage, nil, []string{"run takes one playbook, and was given 2 (a.yaml, b.yaml); run each on its own"})
	runMain(t, "run").want(t, ExitUsage, nil, []string{"give the playbook to run"})
	runMain(t, "validate").want(t, ExitUsage, nil, []string{"give at least one playbook"})
	runMain(t, "ops", "list", "--category").want(t, ExitUsage, nil, []string{"--category needs a value"})
}

func TestParseInterleaved(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		pos, role []string
	}{
		{[]string{"a", "--role", "x", "b"}, []string{"a", "b"}, []string{"x"}},
		{[]string{"--role=x", "a", "-role", "y,z"}, []string{"a"}, []string{"x", "y", "z"}},
		{[]string{"a", "--", "--role", "-"}, []string{"a", "--role", "-"}, nil},
		{[]string{"a", "b", "c"}, []string{"a", "b", "c"}, nil},
		{nil, nil, nil},
	} {
		c := validateCommand()
		fs := newFlags(&env{}, c)
		var roles listFlag
		fs.Var(&roles, "role", "")
		pos, err := parseInterleaved(fs.FlagSet, tc.args)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if diff := cmp.Diff(tc.pos, pos); diff != "" {
			t.Errorf("%v: positional (-want +got):\n%s", tc.args, diff)
		}
		if diff := cmp.Diff(tc.role, []string(roles)); diff != "" {
			t.Errorf("%v: roles (-want +got):\n%s", tc.args, diff)
		}
	}
}

func TestPanicIsAnInternalError(t *testing.T) {
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	cmds := []*command{{name: "boom", run: func(*env, []string) int { panic("kaboom") }}}
	if code := dispatch(e, []string{"boom"}, cmds); code != ExitFailed {
		t.Errorf("exit code %d, want %d", code, ExitFailed)
	}
	if !strings.HasPrefix(errb.String(), "arsenal-run: internal error: kaboom\n") {
		t.Errorf("stderr: %s", errb.String())
	}
}

func TestRunNotInThisBuild(t *testing.T) {
	if findCommand("run").run != nil {
		t.Skip("run is provided")
	}
	runMain(t, "run", "x.yaml").want(t, ExitUsage, nil, []string{"not available"})
}

func TestSchema(t *testing.T) {
	for _, name := range schema.Names() {
		r := runMain(t, "schema", name)
		r.want(t, ExitOK, nil, nil)
		if !json.Valid([]byte(r.stdout)) {
			t.Errorf("schema %s is not JSON", name)
		}
	}
	runMain(t, "schema", "plybook").want(t, ExitUsage, nil, []string{`unknown schema "plybook" (did you mean "playbook"?)`, "known: " + strings.Join(schema.Names(), ", ")})
	runMain(t, "schema").want(t, ExitUsage, nil, []string{"give one schema name"})
}

func TestNoColourOffTerminal(t *testing.T) {
	for _, args := range [][]string{{"ops", "list"}, {"ops", "describe", "control.log"}, {"help"}} {
		if r := runMain(t, args...); strings.Contains(r.stdout+r.stderr, "\x1b[") {
			t.Errorf("%v: colour written to a buffer", args)
		}
	}
	on := palette{on: true}
	if got := on.red("x"); got != "\x1b[31mx\x1b[0m" {
		t.Errorf("red: %q", got)
	}
	if got := (palette{}).red("x"); got != "x" {
		t.Errorf("plain red: %q", got)
	}
}

// TestHelpMatchesWhatFlagsDo: the usage line names the flags a command
// takes, and a flag that changes nothing for a command says so.
func TestHelpMatchesWhatFlagsDo(t *testing.T) {
	// Help is wrapped to fit a terminal: its words are compared, not its
	// lines.
	words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if r := runMain(t, "validate", "--help"); !strings.Contains(words(r.stdout), "Usage: arsenal-run validate PLAYBOOK|DIR... [--role R]... [--policy FILE] [--plugins DIR] [--inventory FILE]") {
		t.Errorf("validate --help does not show its flags:\n%s", r.stdout)
	}
	for _, args := range [][]string{{"history"}, {"history", "show"}, {"stats"}, {"cache", "list"}} {
		r := runMain(t, append(args, "--help")...)
		if out := words(r.stdout); !strings.Contains(out, "--report-dir") || !strings.Contains(out, "changes nothing here") || strings.Contains(out, "write reports as files") {
			t.Errorf("%v --help says --report-dir does something:\n%s", args, r.stdout)
		}
	}
}

// TestUnknownCommandNamesTheOneItBegins: a command cut short (hist,
// sched, valid), too far from its name for a typo, is refused naming the
// one command it begins, as git does; a start that several begin names
// none.
func TestUnknownCommandNamesTheOneItBegins(t *testing.T) {
	runMain(t, "hist").want(t, ExitUsage, nil, []string{`unknown command "hist" (did you mean "history"?)`})
	runMain(t, "sched", "x.yaml").want(t, ExitUsage, nil, []string{`unknown command "sched" (did you mean "schedule"?)`})
	runMain(t, "valid", "x.yaml").want(t, ExitUsage, nil, []string{`unknown command "valid" (did you mean "validate"?)`})
	if res := runMain(t, "s"); strings.Contains(res.stderr, "did you mean") {
		t.Errorf("s, which schedule, serve, stats and more begin: %s", res.stderr)
	}
}
