// Package cli is the arsenal-run command line: it parses arguments, wires the
// operation registry, the loader and the engine together, prints results and
// turns outcomes into exit codes. cmd/arsenal-run only calls Main.
//
// Output is plain text. Colour is added only when the stream it goes to is a
// terminal and NO_COLOR is unset or empty; errors are never coloured.
package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Exit codes, as documented in docs/cli.md.
const (
	ExitOK          = 0   // the command or run succeeded
	ExitFailed      = 1   // the run failed; also an internal error
	ExitUsage       = 2   // bad usage, or a playbook or policy that does not validate
	ExitDenied      = 3   // authorization denied a step
	ExitHangup      = 129 // the run was cancelled by SIGHUP (its terminal went away)
	ExitInterrupted = 130 // the run was cancelled by SIGINT
	ExitTerminated  = 143 // the run was cancelled by SIGTERM
)

// Main runs the command line with args (without the program name) and
// returns the exit code. It never panics: a panic inside a command is
// reported as an internal error with exit code 1.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	zerolog.TimeFieldFormat = time.RFC3339Nano
	// Every command, not only run: `arsenal-run ops list | head` ends
	// with the command's own code, not killed by SIGPIPE.
	outlivePipes()
	out := &output{w: stdout}
	e := &env{
		stdin:        stdin,
		stdout:       out,
		stderr:       stderr,
		getenv:       os.Getenv,
		newRegistry:  NewRegistry,
		newScheduler: serveScheduler,
	}
	code := dispatch(e, args, commands())
	return outputFailed(e, out, args, code)
}

// env is what a command may use: the standard streams, the process
// environment and a way to build the operation registry. Tests replace
// any of them.
type env struct {
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	getenv      func(string) string
	newRegistry func() (*ops.Registry, error)
	// newScheduler is where the scheduler plugs into serve; nil in a build
	// without one (serve then says its schedules do not run).
	newScheduler NewScheduler
	// plugins is the --plugins flag of the command being run.
	plugins string
	// outputMiB is its --max-output-memory; 0 when not given.
	outputMiB int
	// daemon is set by serve and schedule, which run until stopped:
	// loadPlugins then keeps pluginsRead, the manifests it read, to tell
	// at a SIGHUP that they changed (one-shot commands read them once).
	daemon      bool
	pluginsRead manifests
	// flagProbe, when set, receives the flags of the command being run
	// in place of its parse, which then ends the command (see
	// commandFlags): completion learns a command's real flags this way.
	flagProbe func(*flag.FlagSet)
	// logJSON: the command's --log-format json was parsed; its usage
	// errors and other problems are JSON lines (see jsonerr.go).
	logJSON bool
}

// command is one subcommand. run receives the arguments after the command's
// name; a nil run is a command this build describes but does not provide.
type command struct {
	name     string
	summary  string // one line for the command list
	synopsis string // the usage lines, without "Usage: "
	help     string // what the command does, shown by --help
	exits    string // the exit codes, shown by --help
	run      func(e *env, args []string) int
}

// commands returns the command table, in the order `help` lists them.
func commands() []*command {
	return []*command{
		runCommand(),
		validateCommand(),
		opsCommand(),
		reportCommand(),
		historyCommand(),
		statsCommand(),
		cacheCommand(),
		storeCommand(),
		scheduleCommand(),
		serveCommand(),
		keysCommand(),
		remoteCommand(),
		schemaCommand(),
		versionCommand(),
		completionCommand(),
	}
}

const program = "arsenal-run"

// dispatch finds the command named by args[0] and runs it, turning a panic
// into an internal error.
func dispatch(e *env, args []string, cmds []*command) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(e.stderr, "%s: internal error: %v\nThis is a bug in arsenal-run; please report it with the trace below.\n\n%s", program, p, debug.Stack())
			code = ExitFailed
		}
	}()
	if len(args) == 0 {
		writeOverview(e.stderr, cmds)
		return ExitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		// help --help (or -h) is help itself, as every command takes it.
		if name == "help" && len(rest) > 0 && rest[0] != "help" && rest[0] != "--help" && rest[0] != "-h" && rest[0] != "-help" {
			return helpFor(e, rest, cmds)
		}
		writeOverview(e.stdout, cmds)
		return ExitOK
	case "--version", "-version":
		name = "version"
	case completeCommand:
		// Hidden: what the completion scripts call back, never listed.
		return runComplete(e, rest)
	}
	for _, c := range cmds {
		if c.name == name {
			if c.run == nil {
				fmt.Fprintf(e.stderr, "%s %s is not available in this build\n", program, name)
				return ExitUsage
			}
			return c.run(e, rest)
		}
	}
	if strings.HasPrefix(name, "-") {
		fmt.Fprintf(e.stderr, "%s: %s is not a command; flags go after the command, like '%s validate --role R FILE'\nRun '%s help' for the list of commands.\n", program, name, program, program)
		return ExitUsage
	}
	fmt.Fprintf(e.stderr, "%s: unknown command %q%s\nRun '%s help' for the list of commands.\n", program, name, commandHint(name, cmds), program)
	return ExitUsage
}

// commandHint suggests the command name was meant as: the one command
// that name begins (hist, sched: a start says more than a spelling near
// another name, as sched is to schema), else the closest in spelling.
func commandHint(name string, cmds []*command) string {
	names := commandNames(cmds)
	begun := ""
	for _, n := range names {
		if len(name) >= 2 && strings.HasPrefix(n, name) {
			if begun != "" {
				begun = ""
				break
			}
			begun = n
		}
	}
	if begun != "" {
		return suggest.Hint(begun)
	}
	return suggest.DidYouMean(name, names)
}

// helpFor serves `help CMD [SUB]`: it runs the command with --help so that
// the flags shown are the ones the command really defines.
func helpFor(e *env, topic []string, cmds []*command) int {
	for _, c := range cmds {
		if c.name != topic[0] {
			continue
		}
		if c.run == nil {
			writeCommandHelp(e.stdout, c, nil)
			return ExitOK
		}
		return c.run(e, append(append([]string{}, topic[1:]...), "--help"))
	}
	fmt.Fprintf(e.stderr, "%s help: unknown command %q%s\nRun '%s help' for the list of commands.\n", program, topic[0], commandHint(topic[0], cmds), program)
	return ExitUsage
}

func commandNames(cmds []*command) []string {
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	return names
}

// errorf prints a problem to stderr, prefixed with the program's name.
func (e *env) errorf(format string, args ...any) {
	if e.logJSON {
		e.errorLine(fmt.Sprintf(format, args...))
		return
	}
	fmt.Fprintf(e.stderr, "%s: %s\n", program, fmt.Sprintf(format, args...))
}

// cmdErrorf prints a problem or a note of command cmd ("schedule",
// "cache clear") to stderr, prefixed as its usage errors are:
// "arsenal-run schedule: ...".
func (e *env) cmdErrorf(cmd, format string, args ...any) {
	if e.logJSON {
		e.errorLine(fmt.Sprintf(format, args...), str("command", cmd))
		return
	}
	fmt.Fprintf(e.stderr, "%s %s: %s\n", program, cmd, fmt.Sprintf(format, args...))
}

// plural returns "1 thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
