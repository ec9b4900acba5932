package cli

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/schema"
)

// completeCommand is the hidden command the completion scripts call:
//
//	arsenal-run __complete WORD... CURRENT
//
// with the words of the command line after the program's name, the last
// one being the word under the cursor (empty after a space). It prints
// one candidate a line, each optionally followed by a tab and a
// description, then a last line that says what the shell adds itself:
// ":none", ":files" (":files yaml yml" for those extensions, and
// directories), or ":dirs". It reads the command table, the flags the
// commands define and the operation registry: it never runs a command,
// opens a state dir or a store, or reaches the network.
const completeCommand = "__complete"

// candidate is one completion and what it is, for the shells that show it.
type candidate struct{ word, desc string }

// fileKind is what the shell itself completes beside the candidates.
type fileKind int

const (
	noFiles fileKind = iota
	anyFiles
	dirsOnly
)

// completion is the answer to one request.
type completion struct {
	cands []candidate
	files fileKind
	exts  []string // with anyFiles: only files with these extensions (and directories)
}

// playbookExts are the extensions of playbook files, as a directory
// argument of validate and schedule picks them.
var playbookExts = []string{"yaml", "yml"}

func runComplete(e *env, args []string) int {
	for i, a := range args {
		args[i] = dequote(a)
	}
	cur := ""
	if len(args) > 0 {
		cur, args = args[len(args)-1], args[:len(args)-1]
	}
	x := &completer{e: e, given: map[string]string{}}
	writeCompletion(e.stdout, x.complete(args, cur))
	return ExitOK
}

func writeCompletion(w io.Writer, c completion) {
	for _, cand := range c.cands {
		if cand.desc != "" {
			fmt.Fprintf(w, "%s\t%s\n", cand.word, cand.desc)
		} else {
			fmt.Fprintln(w, cand.word)
		}
	}
	switch c.files {
	case anyFiles:
		fmt.Fprintln(w, strings.TrimSpace(":files "+strings.Join(c.exts, " ")))
	case dirsOnly:
		fmt.Fprintln(w, ":dirs")
	default:
		fmt.Fprintln(w, ":none")
	}
}

// dequote removes the shell's quoting from a word as typed, well enough
// for completion: quotes and backslashes go, the rest is kept.
func dequote(s string) string {
	if !strings.ContainsAny(s, `'"\`) {
		return s
	}
	var b strings.Builder
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			b.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped = true
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '\'' || r == '"'):
			quote = r
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// completer answers one request; given holds the flags on the line
// (--plugins names where operations come from).
type completer struct {
	e     *env
	given map[string]string
	ops   []candidate // the registry's operations, read once
	cats  []string
	roles []string // the roles of the policy on the line, or the built-in one's
	read  bool
}

func (x *completer) complete(args []string, cur string) completion {
	cmds := commands()
	if len(args) == 0 {
		if strings.HasPrefix(cur, "-") {
			return matching(cur, []candidate{{"--help", "show the commands"}, {"--version", "print the version"}})
		}
		return matching(cur, commandCandidates(cmds))
	}
	if args[0] == "help" {
		switch len(args) {
		case 1:
			return matching(cur, commandCandidates(cmds))
		case 2:
			subs, _ := subcommands(args[1])
			return matching(cur, subs)
		}
		return completion{}
	}
	var c *command
	for _, cc := range cmds {
		if cc.name == args[0] && cc.run != nil {
			c = cc
		}
	}
	if c == nil {
		return completion{}
	}
	return x.command(c, args[1:], cur)
}

// command completes the arguments of c, of which args are typed.
func (x *completer) command(c *command, args []string, cur string) completion {
	subs, first := subcommands(c.name)
	sub := ""
	if first && len(args) > 0 && slices.ContainsFunc(subs, func(s candidate) bool { return s.word == args[0] }) {
		sub, args = args[0], args[1:]
	}
	fs := commandFlags(c, sub)
	var pos []string
	var pending *flag.Flag
	ended := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if ended || a == "-" || !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
			continue
		}
		if a == "--" {
			ended = true
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		switch {
		case f == nil || isBoolFlag(f) || hasValue:
		case i+1 < len(args):
			i++
			value = args[i]
		default:
			pending = f
		}
		x.given[name] = value
	}
	if !first && len(pos) > 0 {
		sub = pos[0]
	}
	if first && sub == "" && len(args) == 0 && !strings.HasPrefix(cur, "-") {
		return matching(cur, subs)
	}
	switch {
	case pending != nil:
		return x.values(c, pending, "", cur)
	case !ended && strings.HasPrefix(cur, "-"):
		name, value, hasValue := strings.Cut(strings.TrimLeft(cur, "-"), "=")
		if hasValue {
			if f := fs.Lookup(name); f != nil && !isBoolFlag(f) {
				return x.values(c, f, cur[:len(cur)-len(value)], value)
			}
			return completion{}
		}
		return matching(cur, x.flags(c, fs, sub))
	}
	if first && sub != "" {
		pos = append([]string{sub}, pos...)
	}
	if !first && len(subs) > 0 && len(pos) == 0 {
		return matching(cur, subs)
	}
	return x.positional(c.name, pos, cur)
}

// flags are the flags of c (and its subcommand sub) still to give: a
// flag that takes one value and is on the line already is left out, as
// a second one would be refused. remote's subcommands share one flag
// set; each reads only its own flags besides the common ones.
func (x *completer) flags(c *command, fs *flag.FlagSet, sub string) []candidate {
	var out []candidate
	fs.VisitAll(func(f *flag.Flag) {
		if _, on := x.given[f.Name]; on && !repeatable(f) {
			return
		}
		if c.name == "remote" && sub != "" {
			for _, rf := range remoteFlagSubs {
				if first, _, _ := strings.Cut(rf.sub, " "); rf.flag == f.Name && first != sub {
					return
				}
			}
		}
		_, usage := flag.UnquoteUsage(f)
		out = append(out, candidate{"--" + f.Name, shortUsage(usage)})
	})
	return append(out, candidate{"--help", "show this help"})
}

// isBoolFlag reports whether f is a switch, which takes no value.
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// values completes the value of flag f; prefix is "--name=" when the
// value is typed in the same word.
func (x *completer) values(c *command, f *flag.Flag, prefix, cur string) completion {
	var choices []string
	if choose := flagChoices[f.Name]; choose != nil {
		choices = choose(x, c)
	}
	var out completion
	for _, v := range choices {
		if strings.HasPrefix(v, cur) {
			out.cands = append(out.cands, candidate{word: prefix + v})
		}
	}
	if choices == nil {
		switch name, _ := flag.UnquoteUsage(f); name {
		case "FILE", "F", "REPORT":
			out.files = anyFiles
		case "DIR":
			out.files = dirsOnly
		}
	}
	return out
}

// flagChoices are the values of the flags whose values the program
// knows, by flag name, from where the commands check them.
var flagChoices = map[string]func(x *completer, c *command) []string{
	"format": func(_ *completer, c *command) []string {
		if c.name == "validate" {
			return validateFormats
		}
		return report.Formats
	},
	"log-format": func(*completer, *command) []string { return logFormats },
	"log-level":  func(*completer, *command) []string { return logLevels },
	"trigger": func(*completer, *command) []string {
		var out []string
		for _, t := range history.Triggers {
			out = append(out, string(t))
		}
		return out
	},
	"status": func(_ *completer, c *command) []string {
		if c.name == "remote" {
			// The server also lists the runs waiting for a slot.
			return append(history.Statuses(), string(runs.StateQueued))
		}
		return history.Statuses()
	},
	// The roles of the --policy on the line, else the built-in policy's.
	"role":     func(x *completer, _ *command) []string { x.registry(); return x.roles },
	"category": func(x *completer, _ *command) []string { x.registry(); return x.cats },
	"op":       func(x *completer, _ *command) []string { return words(x.operations()) },
}

// positional completes the argument after pos of the command name.
func (x *completer) positional(name string, pos []string, cur string) completion {
	playbooks := completion{files: anyFiles, exts: playbookExts}
	switch n := len(pos); {
	case name == "run" && n == 0, name == "validate", name == "schedule":
		return playbooks
	case name == "schema" && n == 0:
		return matching(cur, plain(schema.Names()))
	case name == "completion" && n == 0:
		return matching(cur, plain(completionShells))
	case name == "ops" && n == 1 && pos[0] == "describe",
		name == "remote" && n == 1 && pos[0] == "exec":
		return matching(cur, x.operations())
	case name == "remote" && n == 1 && pos[0] == "ops":
		return matching(cur, []candidate{{"list", "the server's operations"}})
	case name == "report" && n == 1 && pos[0] == "show":
		return completion{files: anyFiles, exts: []string{"json"}}
	}
	return completion{}
}

// subcommands returns the words a command takes as its first argument,
// and whether that word must come before its flags (the command picks
// its flags by it).
func subcommands(name string) ([]candidate, bool) {
	switch name {
	case "ops":
		var out []candidate
		for _, s := range opsSubcommands() {
			desc, _, _ := strings.Cut(s.help, "\n")
			out = append(out, candidate{strings.TrimPrefix(s.name, "ops "), shortUsage(desc)})
		}
		return out, true
	case "cache":
		return plain(cacheSubs), true
	case "store":
		return plain(storeSubs), true
	case "history":
		return plain([]string{"show"}), true
	case "keys":
		return plain([]string{"new"}), false
	case "report":
		return plain([]string{"show"}), false
	case "remote":
		return plain(remoteSubs), false
	}
	return nil, false
}

// commandFlags returns the flags c defines (with its subcommand sub),
// learnt by running it up to its parse, which hands them over and stops
// it: they are the flags the command really reads.
func commandFlags(c *command, sub string) *flag.FlagSet {
	var args []string
	if sub != "" {
		args = []string{sub}
	}
	got := flag.NewFlagSet(c.name, flag.ContinueOnError)
	e := &env{
		stdin:  strings.NewReader(""),
		stdout: io.Discard,
		stderr: io.Discard,
		getenv: func(string) string { return "" },
		newRegistry: func() (*ops.Registry, error) {
			return nil, fmt.Errorf("%s read the registry before its flags", c.name)
		},
		flagProbe: func(fs *flag.FlagSet) { got = fs },
	}
	func() {
		defer func() { _ = recover() }()
		c.run(e, args)
	}()
	return got
}

// registry reads the operations once, with the plugins of the --plugins
// on the line or of the default directory; a problem leaves them out
// quietly (the command itself will say what it is).
func (x *completer) registry() {
	if x.read {
		return
	}
	x.read = true
	x.roles = auth.Builtin().RoleNames()
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: x.e.getenv, newRegistry: x.e.newRegistry, plugins: x.given["plugins"]}
	reg, err := e.newRegistry()
	if err != nil {
		return
	}
	defer reg.Close()
	e.loadPlugins(reg)
	for _, en := range reg.List("") {
		x.ops = append(x.ops, candidate{en.Spec.Name, shortUsage(firstSentence(en.Spec.Description))})
	}
	slices.SortFunc(x.ops, func(a, b candidate) int { return strings.Compare(a.word, b.word) })
	x.cats = reg.Categories()
	if path := x.given["policy"]; path != "" {
		// A policy that does not load leaves the built-in roles; the
		// command will say what is wrong with it.
		if p, err := auth.LoadPolicy(path, reg); err == nil {
			x.roles = p.RoleNames()
		}
	}
}

func (x *completer) operations() []candidate {
	x.registry()
	return x.ops
}

func commandCandidates(cmds []*command) []candidate {
	var out []candidate
	for _, c := range cmds {
		out = append(out, candidate{c.name, c.summary})
	}
	return append(out, candidate{"help", "show help for a command"})
}

// matching keeps the candidates that start with cur.
func matching(cur string, cands []candidate) completion {
	var out completion
	for _, c := range cands {
		if strings.HasPrefix(c.word, cur) {
			out.cands = append(out.cands, c)
		}
	}
	return out
}

func plain(list []string) []candidate {
	out := make([]candidate, len(list))
	for i, s := range list {
		out[i] = candidate{word: s}
	}
	return out
}

func words(cands []candidate) []string {
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.word
	}
	return out
}

// shortUsage is the start of a usage text, to stand beside a candidate
// on one line: up to its first clause, and at most about 60 characters.
func shortUsage(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	for _, sep := range []string{"; ", " ("} {
		if i := strings.Index(s, sep); i > 0 {
			s = s[:i]
		}
	}
	if len(s) > 60 {
		if i := strings.LastIndex(s[:60], " "); i > 0 {
			s = s[:i] + "…"
		}
	}
	return s
}
