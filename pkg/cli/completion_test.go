package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/schema"
)

// completeLine runs the hidden __complete command for words and the word
// under the cursor, and returns the candidates' words and the last line.
func completeLine(t *testing.T, cur string, words ...string) ([]string, string) {
	t.Helper()
	r := runMain(t, append(append([]string{completeCommand}, words...), cur)...)
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("__complete %q %q: exit %d, stderr %q", words, cur, r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	var got []string
	for _, l := range lines[:len(lines)-1] {
		w, _, _ := strings.Cut(l, "\t")
		got = append(got, w)
	}
	return got, lines[len(lines)-1]
}

// helpFlags are the flags a command's --help lists.
func helpFlags(t *testing.T, args ...string) []string {
	t.Helper()
	r := runMain(t, append(args, "--help")...)
	_, flags, ok := strings.Cut(r.stdout, "\nFlags:\n")
	if r.code != ExitOK || !ok {
		t.Fatalf("%q --help: exit %d, no Flags section:\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	flags, _, _ = strings.Cut(flags, "\n\n")
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^  (?:-h, )?(--[a-z0-9-]+)`).FindAllStringSubmatch(flags, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestCompletionOffersEveryFlag: for every command, and every subcommand
// whose flags differ, the flags offered after "--" are exactly those its
// --help lists, so that completion cannot fall behind a flag added to a
// command.
func TestCompletionOffersEveryFlag(t *testing.T) {
	for _, c := range commands() {
		forms := [][]string{{c.name}}
		if subs, first := subcommands(c.name); first {
			forms = nil
			if c.name == "history" {
				forms = append(forms, []string{c.name})
			}
			for _, s := range subs {
				forms = append(forms, []string{c.name, s.word})
			}
		}
		for _, form := range forms {
			want := helpFlags(t, form...)
			got, dir := completeLine(t, "--", form...)
			slices.Sort(want)
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" || dir != ":none" {
				t.Errorf("%s --: completion offers other flags than --help lists (-help +completion), then %s:\n%s", strings.Join(form, " "), dir, diff)
			}
		}
	}
}

func TestCompletionCandidates(t *testing.T) {
	var triggers []string
	for _, tr := range history.Triggers {
		triggers = append(triggers, string(tr))
	}
	var prefixed []string
	for _, f := range report.Formats {
		prefixed = append(prefixed, "--format="+f)
	}
	server := []string{"remote", "--server", "http://127.0.0.1:1"}
	for _, tc := range []struct {
		words []string
		cur   string
		want  []string
		dir   string
	}{
		{nil, "va", []string{"validate"}, ":none"},
		{nil, "c", []string{"cache", "completion"}, ":none"},
		{nil, "-", []string{"--help", "--version"}, ":none"},
		{[]string{"help"}, "sc", []string{"schedule", "schema"}, ":none"},
		{[]string{"help", "ops"}, "", []string{"list", "describe", "search"}, ":none"},
		{[]string{"ops"}, "", []string{"list", "describe", "search"}, ":none"},
		{[]string{"cache"}, "", []string{"list", "clear"}, ":none"},
		{[]string{"store"}, "s", []string{"status"}, ":none"},
		{[]string{"keys"}, "", []string{"new"}, ":none"},
		{[]string{"report"}, "", []string{"show"}, ":none"},
		{[]string{"history"}, "", []string{"show"}, ":none"},
		{[]string{"history", "--json"}, "", nil, ":none"}, // show comes first
		{[]string{"history", "show"}, "--j", []string{"--json"}, ":none"},
		{[]string{"ops", "describe"}, "control.sl", []string{"control.sleep"}, ":none"},
		{[]string{"ops", "describe", "control.sleep"}, "", nil, ":none"},
		{[]string{"ops", "list", "--category"}, "proc", []string{"process"}, ":none"},
		{[]string{"ops", "list", "--category=proc"}, "", nil, ":none"},
		{[]string{"ops", "list"}, "--category=proc", []string{"--category=process"}, ":none"},
		{[]string{"cache", "list", "--op"}, "control.sl", []string{"control.sleep"}, ":none"},
		{server, "", []string{"ops", "exec", "run", "runs", "cancel"}, ":none"},
		{append(server, "exec"), "control.sl", []string{"control.sleep"}, ":none"},
		{append(server, "ops"), "", []string{"list"}, ":none"},
		{append(server, "run", "deploy"), "--p", nil, ":none"}, // --param is exec's, --playbook runs'
		{append(server, "runs"), "--p", []string{"--playbook"}, ":none"},
		{[]string{"remote", "--status"}, "q", []string{"queued"}, ":none"},
		{[]string{"history", "--status"}, "", history.Statuses(), ":none"},
		{[]string{"history", "--trigger"}, "", triggers, ":none"},
		{[]string{"report", "show", "r.json", "--format"}, "", report.Formats, ":none"},
		{[]string{"report", "show", "r.json"}, "--format=", prefixed, ":none"},
		{[]string{"report", "show"}, "", nil, ":files json"},
		{[]string{"validate", "a.yaml", "--format"}, "", validateFormats, ":none"},
		{[]string{"validate"}, "--format=g", []string{"--format=github"}, ":none"},
		{[]string{"run", "a.yaml", "--log-format"}, "", logFormats, ":none"},
		{[]string{"serve", "--log-level"}, "w", []string{"warn"}, ":none"},
		{[]string{"run", "a.yaml", "--role"}, "", auth.Builtin().RoleNames(), ":none"},
		{[]string{"schema"}, "", schema.Names(), ":none"},
		{[]string{"completion"}, "", completionShells, ":none"},
		{[]string{"run"}, "", nil, ":files yaml yml"},
		{[]string{"run", "--dry-run"}, "pb", nil, ":files yaml yml"},
		{[]string{"run", "a.yaml"}, "", nil, ":none"},
		{[]string{"validate", "a.yaml"}, "", nil, ":files yaml yml"},
		{[]string{"schedule", "--next", "3"}, "", nil, ":files yaml yml"},
		{[]string{"run", "a.yaml", "--report"}, "", nil, ":files"},
		{[]string{"run", "a.yaml"}, "--report=x", nil, ":files"},
		{[]string{"run", "a.yaml", "--state-dir"}, "", nil, ":dirs"},
		{[]string{"run", "a.yaml", "--input"}, "", nil, ":none"},
		// A flag that takes one value is offered once; a repeatable one
		// again.
		{[]string{"run", "a.yaml", "--report", "r.json"}, "--rep", []string{"--report-dir"}, ":none"},
		{[]string{"run", "a.yaml", "--role", "admin"}, "--rol", []string{"--role"}, ":none"},
		// After --, everything is an argument.
		{[]string{"validate", "--"}, "--x", nil, ":files yaml yml"},
		{[]string{"nosuch"}, "", nil, ":none"},
		{[]string{completeCommand}, "", nil, ":none"},
	} {
		got, dir := completeLine(t, tc.cur, tc.words...)
		if diff := cmp.Diff(tc.want, got); diff != "" || dir != tc.dir {
			t.Errorf("%q then %q: candidates (-want +got):\n%s\nlast line %q, want %q", tc.words, tc.cur, diff, dir, tc.dir)
		}
	}
	// --role offers the roles of the --policy on the line, as typed with
	// = or apart.
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("version: 1\nroles:\n  dba:\n    allow: [file.*]\n  db-oncall:\n    allow: [process.*]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, words := range [][]string{{"run", "a.yaml", "--policy", policy, "--role"}, {"validate", "--policy=" + policy, "a.yaml", "--role"}} {
		if got, _ := completeLine(t, "db", words...); !cmp.Equal(got, []string{"db-oncall", "dba"}) && !cmp.Equal(got, []string{"dba", "db-oncall"}) {
			t.Errorf("%q then db: %q, want the policy's roles dba and db-oncall", words, got)
		}
	}
	// The hidden command is not listed.
	if got, _ := completeLine(t, "__"); len(got) > 0 {
		t.Errorf("__ offers %q", got)
	}
}

// TestCompletionChoicesNameRealFlags: the values completion knows are
// for flags that exist, so that renaming one cannot silently leave its
// values behind.
func TestCompletionChoicesNameRealFlags(t *testing.T) {
	defined := map[string]bool{}
	for _, c := range commands() {
		forms := [][]string{nil}
		if subs, first := subcommands(c.name); first {
			for _, s := range subs {
				forms = append(forms, []string{s.word})
			}
		}
		for _, form := range forms {
			for _, f := range helpFlags(t, append([]string{c.name}, form...)...) {
				defined[strings.TrimPrefix(f, "--")] = true
			}
		}
	}
	for name := range flagChoices {
		if !defined[name] {
			t.Errorf("completion knows the values of --%s, which no command defines", name)
		}
	}
}

// TestCompletionSubcommandsMatchSynopses: the subcommands completion
// offers are the first words of the command's usage forms.
func TestCompletionSubcommandsMatchSynopses(t *testing.T) {
	word := regexp.MustCompile(`^[a-z]+$`)
	for _, c := range commands() {
		var want []string
		for _, l := range strings.Split(c.synopsis, "\n") {
			fields := strings.Fields(l)
			if len(fields) == 0 || fields[0] != c.name {
				continue
			}
			for _, f := range fields[1:] {
				if word.MatchString(f) {
					if !slices.Contains(want, f) {
						want = append(want, f)
					}
					break
				}
			}
		}
		subs, _ := subcommands(c.name)
		if diff := cmp.Diff(want, words(subs), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: subcommands of the synopsis and of completion differ (-synopsis +completion):\n%s", c.name, diff)
		}
	}
}

// TestCompletionRunsNothing: asking for completions of a command line
// that would run a playbook, write reports and open a state dir and a
// plugins dir does none of it, and reaches no store.
func TestCompletionRunsNothing(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	t.Setenv("HOME", home)
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "xdg"))
	t.Setenv("ARSENAL_STATE_DIR", filepath.Join(dir, "state"))
	t.Setenv("ARSENAL_STATE", "postgres://127.0.0.1:1/none?connect_timeout=1")
	marker := filepath.Join(dir, "ran")
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: marked\nsteps:\n  - {id: w, op: file.write, with: {path: "+marker+", content: x}}\n")
	before, _ := os.ReadDir(dir)
	for _, words := range [][]string{
		{"run", pb, "--yes", "--report", filepath.Join(dir, "r.json"), "--state-dir", filepath.Join(dir, "sd")},
		{"run", pb, "--plugins", filepath.Join(dir, "plugins"), "--audit-log", filepath.Join(dir, "a.log")},
		{"schedule", pb},
		{"serve", "--playbooks", dir},
		{"history"}, {"history", "show"}, {"stats"}, {"cache", "list"}, {"cache", "clear"},
		{"store", "migrate"}, {"store", "status"}, {"keys", "new", "--name", "x", "--role", "admin"},
		{"remote", "--server", "http://127.0.0.1:1", "runs"},
	} {
		for _, cur := range []string{"", "--"} {
			completeLine(t, cur, words...)
		}
	}
	after, _ := os.ReadDir(dir)
	if diff := cmp.Diff(entryNames(before), entryNames(after)); diff != "" {
		t.Errorf("completion changed the directory (-before +after):\n%s", diff)
	}
}

func entryNames(es []os.DirEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestCompletionCommand(t *testing.T) {
	for _, sh := range completionShells {
		r := runMain(t, "completion", sh)
		if r.code != ExitOK || !strings.HasPrefix(strings.TrimPrefix(r.stdout, "#compdef arsenal-run\n"), "# "+sh+" completion for arsenal-run") || !strings.Contains(r.stdout, completeCommand) {
			t.Errorf("completion %s: exit %d, stdout starts %.80q, stderr %q", sh, r.code, r.stdout, r.stderr)
		}
	}
	runMain(t, "completion", "tcsh").want(t, ExitUsage, nil, []string{`no completion script for "tcsh"; the shells are bash, zsh, fish`, "arsenal-run completion --help"})
	runMain(t, "completion").want(t, ExitUsage, nil, []string{"give one shell: bash, zsh, fish"})
	runMain(t, "completion", "bash", "zsh").want(t, ExitUsage, nil, []string{"give one shell"})
	r := runMain(t, "completion", "--help")
	for _, want := range []string{"source <(arsenal-run completion bash)", "_arsenal-run", "~/.config/fish/completions/arsenal-run.fish"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("completion --help does not say %q:\n%s", want, r.stdout)
		}
	}
	// The command list shows completion, not the hidden command.
	r = runMain(t, "help")
	if !strings.Contains(r.stdout, "\n  completion  ") || strings.Contains(r.stdout, completeCommand) {
		t.Errorf("help lists:\n%s", r.stdout)
	}
}

func TestDequote(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:       `plain`,
		`'my file`:    `my file`,
		`"a b"c`:      `a bc`,
		`a\ b`:        `a b`,
		`'it''s'`:     `its`,
		`"x\"y"`:      `x"y`,
		`'back\slash`: `back\slash`,
	} {
		if got := dequote(in); got != want {
			t.Errorf("dequote(%q) = %q, want %q", in, got, want)
		}
	}
}

// writeCompletion's format is what the scripts read: one candidate a
// line, a tab before its description, the file kind last.
func TestWriteCompletion(t *testing.T) {
	var b bytes.Buffer
	writeCompletion(&b, completion{cands: []candidate{{"a", "the a"}, {"b", ""}}, files: anyFiles, exts: playbookExts})
	if want := "a\tthe a\nb\n:files yaml yml\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
