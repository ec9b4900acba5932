package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

func opsCommand() *command {
	return &command{
		name:     "ops",
		summary:  "list, describe and search the operations steps can use",
		synopsis: "ops list [--category C] [--plugins DIR]\nops describe NAME [--plugins DIR]\nops search WORDS... [--plugins DIR]",
		help: `Show the operations a playbook's steps can call (the op: key).

  list      the operations, or those of one category, with risk and description
  describe  one operation: its parameters, risk and output
  search    the operations whose name, description or parameters hold every word

  --category C   list: only the operations of category C, like process
  --plugins DIR  also the plugin operations of the manifests in DIR (default
                 $ARSENAL_PLUGINS, else $XDG_CONFIG_HOME/arsenal-run/plugins)

'ops SUBCOMMAND --help' shows a subcommand's flags.`,
		exits: "0 ok; 2 bad usage or an unknown operation or category.",
		run:   runOps,
	}
}

func opsSubcommands() []*command {
	return []*command{
		{
			name:     "ops list",
			synopsis: "ops list [--category C] [--plugins DIR]",
			help:     "List the operations, sorted by name: name, risk (read, write or destructive)\nand description.",
			exits:    "0 ok; 2 an unknown category or bad usage.",
			run:      runOpsList,
		},
		{
			name:     "ops describe",
			synopsis: "ops describe NAME [--plugins DIR]",
			help:     "Describe one operation: what it does, its risk, its parameters (type,\nrequired, default, allowed values and bounds) and the fields of its output.",
			exits:    "0 ok; 2 an unknown operation or bad usage.",
			run:      runOpsDescribe,
		},
		{
			name:     "ops search",
			synopsis: "ops search WORDS... [--plugins DIR]",
			help:     "Find the operations whose name, description or parameter names contain every\nword (case-insensitive), best matches first.",
			exits:    "0 ok, also when nothing matches; 2 bad usage.",
			run:      runOpsSearch,
		},
	}
}

func runOps(e *env, args []string) int {
	c := opsCommand()
	subs := opsSubcommands()
	if len(args) == 0 {
		writeCommandHelp(e.stderr, c, nil)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if args[0] == "help" && len(args) > 1 {
			return runOps(e, []string{args[1], "--help"})
		}
		writeCommandHelp(e.stdout, c, nil)
		return ExitOK
	}
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = strings.TrimPrefix(s.name, "ops ")
		if names[i] == args[0] {
			return s.run(e, args[1:])
		}
	}
	return usageError(e, c, "unknown subcommand %q%s; use one of %s", args[0], suggest.DidYouMean(args[0], names), strings.Join(names, ", "))
}

func opsSub(name string) *command {
	for _, s := range opsSubcommands() {
		if s.name == "ops "+name {
			return s
		}
	}
	panic("no ops subcommand " + name)
}

func runOpsList(e *env, args []string) int {
	fs := newFlags(e, opsSub("list"))
	category := fs.String("category", "", "only the operations of category `C`, like process")
	e.addPluginsFlag(fs.FlagSet)
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return fs.usageError("unexpected argument %q; to describe an operation use 'ops describe %s'", pos[0], pos[0])
	}
	reg, code := e.registry()
	if reg == nil {
		return code
	}
	defer reg.Close()
	if *category != "" {
		cats := reg.Categories()
		if !contains(cats, *category) {
			return fs.usageError("unknown category %q%s; categories: %s", *category, suggest.DidYouMean(*category, cats), strings.Join(cats, ", "))
		}
	}
	writeOpsTable(e.stdout, e.paletteFor(e.stdout), reg.List(*category))
	return ExitOK
}

func runOpsSearch(e *env, args []string) int {
	fs := newFlags(e, opsSub("search"))
	e.addPluginsFlag(fs.FlagSet)
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	query := strings.TrimSpace(strings.Join(pos, " "))
	if query == "" {
		return fs.usageError("give one or more words to search for, like 'ops search process signal'")
	}
	reg, code := e.registry()
	if reg == nil {
		return code
	}
	defer reg.Close()
	hits := reg.Search(query)
	if len(hits) == 0 {
		fmt.Fprintf(e.stderr, "no operation matches %q; see '%s ops list'\n", query, program)
		return ExitOK
	}
	writeOpsTable(e.stdout, e.paletteFor(e.stdout), hits)
	return ExitOK
}

func writeOpsTable(w io.Writer, p palette, list []*ops.Entry) {
	t := &table{header: []string{"NAME", "RISK", "DESCRIPTION"}}
	t.style = func(col int, cell string) string {
		if col == 1 {
			return p.risk(cell)
		}
		return cell
	}
	for _, en := range list {
		t.add(en.Spec.Name, string(en.Spec.Risk), firstSentence(en.Spec.Description))
	}
	t.write(w, p)
}

// firstSentence keeps a list to one line an operation; describe shows the
// rest.
func firstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

func runOpsDescribe(e *env, args []string) int {
	fs := newFlags(e, opsSub("describe"))
	e.addPluginsFlag(fs.FlagSet)
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fs.usageError("give exactly one operation name, like 'ops describe control.sleep'")
	}
	reg, code := e.registry()
	if reg == nil {
		return code
	}
	defer reg.Close()
	en, err := reg.Get(pos[0])
	if err != nil {
		if errors.Is(err, ops.ErrUnknownOp) {
			fmt.Fprintf(e.stderr, "%s ops describe: %v\n", program, err)
			return ExitUsage
		}
		e.errorf("%v", err)
		return ExitFailed
	}
	describe(e.stdout, e.paletteFor(e.stdout), &en.Spec)
	return ExitOK
}

// describe prints an operation's spec for people.
func describe(w io.Writer, p palette, s *ops.Spec) {
	fmt.Fprintf(w, "%s\n", p.bold(s.Name))
	fmt.Fprintf(w, "  %s\n\n", strings.Join(fitWords(w, s.Description, 2), "\n  "))
	fmt.Fprintf(w, "Risk: %s\n", p.risk(string(s.Risk)))

	fmt.Fprintf(w, "\nParams:\n")
	var notes []string
	if len(s.Params) == 0 && !s.OpenParams {
		fmt.Fprintf(w, "  none\n")
	}
	if len(s.Params) > 0 {
		t := &table{header: []string{"NAME", "TYPE", "REQUIRED", "DEFAULT", "ALLOWED", "DESCRIPTION"}, indent: "  "}
		for _, prm := range s.Params {
			req := "no"
			if prm.Required {
				req = "yes"
			}
			t.add(prm.Name, paramType(&prm), req, paramDefault(&prm), paramAllowed(&prm), prm.Description)
			if prm.Secret {
				notes = append(notes, fmt.Sprintf("%s is secret: its value is masked as *** in logs and reports.", prm.Name))
			}
			if prm.NoInterpolation {
				note := fmt.Sprintf("%s cannot hold ${{ }}", prm.Name)
				if prm.Fix != "" {
					note += ": " + prm.Fix
				}
				notes = append(notes, strings.TrimSuffix(note, ".")+".")
			}
		}
		t.write(w, p)
	}
	if s.OpenParams {
		notes = append(notes, "Takes any keys under with:, passed through as given.")
	}
	for _, n := range notes {
		fmt.Fprintf(w, "  %s\n", strings.Join(fitWords(w, n, 2), "\n  "))
	}

	fmt.Fprintf(w, "\nOutput:\n")
	if len(s.Output) == 0 {
		fmt.Fprintf(w, "  {} (no fields)\n")
	} else {
		t := &table{header: []string{"FIELD", "TYPE", "DESCRIPTION"}, indent: "  "}
		for _, f := range s.Output {
			desc := f.Description
			if contains(s.SecretOutputs, f.Name) {
				desc += " (secret: masked as ***)"
			}
			t.add(f.Name, f.Type, desc)
		}
		t.write(w, p)
	}
	fmt.Fprintf(w, "\nRead it in later steps as steps.<id>.output.<field>.\n")
}

func paramType(p *ops.Param) string {
	if p.Type == ops.TypeList && p.Items != "" && p.Items != ops.TypeAny {
		return "list of " + string(p.Items)
	}
	return string(p.Type)
}

func paramDefault(p *ops.Param) string {
	if p.Default == nil {
		return "-"
	}
	if p.Secret {
		return "***" // a credential: not on a terminal, a CI log
	}
	return formatValue(p.Default)
}

// formatValue writes a value the way a playbook would.
func formatValue(v any) string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return `""`
		}
		return x
	case time.Duration:
		return short.Duration(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}

// paramAllowed sums up an enum, the numeric bounds and the length limit.
func paramAllowed(p *ops.Param) string {
	var parts []string
	if len(p.Enum) > 0 {
		vals := make([]string, len(p.Enum))
		for i, v := range p.Enum {
			vals[i] = formatValue(v)
		}
		parts = append(parts, strings.Join(vals, "|"))
	}
	bound := func(b float64) string {
		if p.Type == ops.TypeDuration {
			return short.Duration(time.Duration(b * float64(time.Second)))
		}
		return strconv.FormatFloat(b, 'f', -1, 64)
	}
	switch {
	case p.Min != nil && p.Max != nil:
		parts = append(parts, bound(*p.Min)+".."+bound(*p.Max))
	case p.Min != nil:
		parts = append(parts, ">= "+bound(*p.Min))
	case p.Max != nil:
		parts = append(parts, "<= "+bound(*p.Max))
	}
	if p.MaxLen > 0 {
		unit := "bytes"
		if p.Type == ops.TypeList {
			unit = "items"
		}
		n := strconv.Itoa(p.MaxLen)
		if unit == "bytes" {
			n = byteSize(p.MaxLen)
			unit = ""
		}
		parts = append(parts, strings.TrimSpace("at most "+n+" "+unit))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

// byteSize writes a size in bytes the short way when it is a whole number
// of KiB or MiB.
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
