package cli

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/internal/since"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// flagSet is a command's flags. Flags may come before, between or after the
// positional arguments (`validate a.yaml --role x b.yaml`); `--` ends the
// flags. Both -name and --name work, as with the standard flag package.
type flagSet struct {
	*flag.FlagSet
	e   *env
	cmd *command
	// onUsage, when set, reports a usage problem instead of usageError's
	// lines on stderr (validate --format json prints it in its document).
	onUsage func(msg string) int
}

func newFlags(e *env, c *command) *flagSet {
	fs := flag.NewFlagSet(program+" "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed by parse
	return &flagSet{FlagSet: fs, e: e, cmd: c}
}

// parse parses args and returns the positional arguments. When ok is false
// the command must return code at once: help was shown (0) or the
// arguments were wrong (2, with the problem printed).
func (fs *flagSet) parse(args []string) (pos []string, code int, ok bool) {
	if fs.e.flagProbe != nil {
		// Completion asks which flags the command defines: it gets
		// them, and the command stops before it does anything.
		fs.e.flagProbe(fs.FlagSet)
		return nil, ExitOK, false
	}
	fs.VisitAll(func(f *flag.Flag) {
		if !repeatable(f) {
			f.Value = &onceValue{Value: f.Value, name: f.Name}
		}
	})
	pos, err := parseInterleaved(fs.FlagSet, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		writeCommandHelp(fs.e.stdout, fs.cmd, fs.FlagSet)
		return nil, ExitOK, false
	case err != nil:
		return nil, fs.usageError("%s", fs.explain(err)), false
	}
	return pos, ExitOK, true
}

// repeatable reports whether a flag may be given more than once: a list
// (--role, --input) adds each use, and a switch (--yes) says the same
// thing twice. Any other flag holds one value, which a second use would
// silently replace (--report a.json --report b.json wrote only b.json).
// A flag already wrapped (a second parse) is repeatable as far as
// wrapping goes.
func repeatable(f *flag.Flag) bool {
	switch v := f.Value.(type) {
	case *listFlag, *multiFlag, *onceValue:
		return true
	case interface{ IsBoolFlag() bool }:
		return v.IsBoolFlag()
	}
	return false
}

// onceValue is a flag that takes one value: a second use is refused.
type onceValue struct {
	flag.Value
	name string
	set  bool
}

func (o *onceValue) Set(v string) error {
	if o.set {
		return errGivenTwice
	}
	o.set = true
	return o.Value.Set(v)
}

// Get keeps what the flag package and wants read of the value.
func (o *onceValue) Get() any {
	if g, ok := o.Value.(flag.Getter); ok {
		return g.Get()
	}
	return o.String()
}

func (o *onceValue) String() string {
	if o == nil || o.Value == nil {
		return ""
	}
	return o.Value.String()
}

var errGivenTwice = errors.New("given twice")

// given reports whether the flag name was on the command line.
func (fs *flagSet) given(name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// usageError prints a usage problem and a pointer to the command's help, and
// returns ExitUsage.
func (fs *flagSet) usageError(format string, args ...any) int {
	if fs.onUsage != nil {
		return fs.onUsage(fmt.Sprintf(format, args...))
	}
	return usageError(fs.e, fs.cmd, format, args...)
}

func usageError(e *env, c *command, format string, args ...any) int {
	if e.logJSON {
		e.errorLine(fmt.Sprintf(format, args...), str("command", c.name), str("usage", program+" "+c.name+" --help"))
		return ExitUsage
	}
	fmt.Fprintf(e.stderr, "%s %s: %s\nRun '%s %s --help' for usage.\n", program, c.name, fmt.Sprintf(format, args...), program, c.name)
	return ExitUsage
}

// explain rewrites the flag package's messages in this program's terms.
func (fs *flagSet) explain(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		best, ok := suggest.Closest(name, names)
		for _, other := range flagSynonyms[name] {
			if !ok && fs.Lookup(other) != nil {
				best, ok = other, true
			}
		}
		hint := ""
		if ok {
			// Written as it is typed: --input, not "input".
			hint = " (did you mean " + dashed(best) + "?)"
		} else if fs.cmd != nil {
			hint = ownedElsewhere(name, fs.cmd.name)
		}
		return fmt.Sprintf("unknown flag %s%s", dashed(name), hint)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return "flag --" + strings.TrimLeft(name, "-") + " needs a value"
	}
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		value, name, why := m[2], m[3], m[4]
		if strings.HasPrefix(why, errGivenTwice.Error()) {
			return fmt.Sprintf("--%s is given more than once; it takes one value: keep the one you mean", name)
		}
		switch want := fs.wants(name); {
		case want != "" && why == "parse error":
			hint := ""
			if h, ok := valueHints[name]; ok {
				hint = h(value)
			}
			return fmt.Sprintf("--%s: %q is not %s%s", name, value, want, hint)
		case want != "" && why == "value out of range":
			return fmt.Sprintf("--%s: %s is out of range; give %s", name, value, want)
		}
		return "--" + name + ": " + why
	}
	return msg
}

// example is ", like D" for a flag's default D, unless it is zero, which
// is seldom what the flag is set to.
func example(def string) string {
	if def == "0" || def == "" || def == "0s" {
		return ""
	}
	return ", like " + def
}

// wants says what a number, boolean or duration flag takes, for the flag package's
// bare "parse error".
func (fs *flagSet) wants(name string) string {
	f := fs.Lookup(name)
	if f == nil {
		return ""
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return ""
	}
	switch g.Get().(type) {
	case int, int64, uint, uint64:
		return "a whole number" + example(f.DefValue)
	case float64:
		return "a number" + example(f.DefValue)
	case bool:
		return "true or false"
	case time.Duration:
		return "a duration with its unit" + cmp.Or(example(f.DefValue), ", like 30s")
	}
	return ""
}

// valueHints say, for a flag whose value was refused, what the value
// given looks like it was meant for.
var valueHints = map[string]func(value string) string{
	"next": func(v string) string {
		if strings.ContainsAny(v, " *@") {
			return "; --next is how many fire times to list, like --next 5, and the schedule is the playbook's schedule: block (schedule.cron, schedule.timezone): write 'schedule PLAYBOOK --next 5'"
		}
		return ""
	},
}

// dashed is a flag's name as it is typed: -n for one letter, else --name.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// flagSynonyms are flags of other tools (curl, Ansible, kubectl) that
// people reach for, and this program's flags for the same thing, for the
// commands that have them.
var flagSynonyms = map[string][]string{
	"url":        {"server", "trace-endpoint"},
	"host":       {"server"},
	"endpoint":   {"server", "trace-endpoint"},
	"token":      {"key-env"},
	"api-key":    {"key-env"},
	"e":          {"input", "param"},
	"i":          {"input", "param"},
	"inputs":     {"input"},
	"params":     {"param"},
	"n":          {"dry-run"},
	"extra-vars": {"input"},
	"var":        {"input", "param"},
	"set":        {"input", "param"},
	"v":          {"log-level"},
	"verbose":    {"log-level"},
	"debug":      {"log-level"},
	"check":      {"dry-run"},
	"output":     {"format", "report"},
	"o":          {"format", "report"},
}

// invalidValue matches the flag package's message for a value that Set
// refused, whose own error already quotes the value.
var invalidValue = regexp.MustCompile(`(?s)^invalid (boolean )?value "(.*)" for (?:flag )?-+([^:]+): (.*)$`)

// parseInterleaved parses flags found anywhere in args and returns the other
// arguments in order. The standard parser stops at the first positional
// argument; this one resumes after it.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// Parse stops either at a positional argument, which it leaves in
		// rest, or after a "--", which it consumes: everything after that
		// is positional.
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// multiFlag is a repeatable flag whose values are taken whole: an input's
// value may hold commas.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// listFlag is a repeatable flag; each use may also hold a comma-separated
// list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			return fmt.Errorf("%q has an empty item; give the values separated by single commas, like a,b", v)
		}
		*l = append(*l, s)
	}
	return nil
}

// durationFlag is --since or --until: how long ago, a positive duration
// in Go syntax that also takes days and weeks, which time.ParseDuration
// does not (36h, 2d, 1w, 1d12h), or a moment with its zone
// (2026-12-05T02:00:00Z, 2026-12-05T03:00+01:00). name is the flag's, for
// messages ("since" when empty); text is the value as given, for messages
// that quote the flag back.
type durationFlag struct {
	name string
	d    time.Duration
	at   time.Time
	text string
}

func (f *durationFlag) String() string {
	switch {
	case f == nil:
		return ""
	case !f.at.IsZero():
		return f.at.Format(time.RFC3339)
	case f.d == 0:
		return ""
	}
	return short.Duration(f.d)
}

func (f *durationFlag) Set(v string) error {
	name := f.name
	if name == "" {
		name = "since"
	}
	val, err := since.Parse(v, since.Flag(name), time.Now())
	if err != nil {
		return err
	}
	f.d, f.at, f.text = val.D, val.At, val.Text
	return nil
}

// moment is the time the flag stands for at now; zero when not given.
func (f *durationFlag) moment(now time.Time) time.Time {
	return since.Value{D: f.d, At: f.at}.Moment(now)
}

// checkBaseURL refuses a --base-url that is no http:// or https:// URL
// with a host, with the exit code of a usage error.
func checkBaseURL(fs *flagSet, base string) (int, bool) {
	if base == "" {
		return 0, false
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fs.usageError("--base-url %q: give an http:// or https:// URL, like https://runs.example.com", base), true
	}
	return 0, false
}
