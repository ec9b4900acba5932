package policy

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/wrapper"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// programCould is what the writer of a swappable program or script could
// do.
const programCould = "choose the code that the runs that start it run, with their rights"

// SwappableProgram is the error for a command, argv, that would run a
// local file another user of the host (not this process's, not root)
// could change or put a file of their own in place of, when the call
// refuses swappable files (ops.Call.RefuseSwappable: serve and schedule);
// nil otherwise. It judges each program argv runs when named by path (it
// holds a /; relative to dir): argv[0] and, through wrappers (sudo, env,
// timeout, nice…, nested too), the program the wrapper runs
// (wrapper.Programs); and the script the last of them runs when it is a
// known interpreter: [bash, /tmp/fix.sh], [sudo, -u, app, python3, -u,
// tools/x.py], the first operand that is not an option (relative to dir,
// the program's working directory, or the one a wrapper moved to: env
// -C DIR), whether it exists or not (fsx.PathAnyoneMayWrite). A program
// found through PATH is not judged. A command a wrapper splits from one
// item (env -S TEXT) cannot be judged and is refused. dir "" is this process's working
// directory. The error begins with param, the parameter that gives argv.
// It is judged right before the program starts: a file no other user
// could swap then cannot be swapped before the exec.
func SwappableProgram(ctx context.Context, param string, argv []string, dir string) error {
	if !ops.CallFrom(ctx).RefuseSwappable || len(argv) == 0 {
		return nil
	}
	refuse := func(p string, at wrapper.Program, what string) error {
		in := at.Dir
		if !filepath.IsAbs(p) {
			if !filepath.IsAbs(in) && dir != "" {
				in = filepath.Join(dir, in)
			}
			if in != "" {
				p = filepath.Join(in, p)
			}
		}
		if root := at.Root; root != "" {
			// chroot DIR: the file is DIR's, as this host sees it
			if !filepath.IsAbs(root) && dir != "" {
				root = filepath.Join(dir, root)
			}
			p = filepath.Join(root, p)
		}
		if msg := fsx.PathAnyoneMayWrite(p, what, programCould); msg != "" {
			return ops.WithClass(ops.ClassValidation, errors.New(param+": "+msg))
		}
		return nil
	}
	progs := wrapper.Programs(argv)
	for _, p := range progs {
		if p.Split > 0 {
			return ops.WithClass(ops.ClassValidation, fmt.Errorf("%s: %s -S splits %q into the command it runs, whose program and script are not judged here for a file another user of this host could swap; write the command's words as items of %s, as in [%s, bash, /srv/app/fix.sh]", param, argv[p.At], argv[p.Split], param, argv[p.At]))
		}
		if strings.Contains(argv[p.At], "/") {
			if err := refuse(argv[p.At], p, "the program"); err != nil {
				return err
			}
		}
	}
	last := progs[len(progs)-1]
	prog := filepath.Base(argv[last.At])
	script, ok := scriptOperand(prog, argv[last.At+1:])
	if !ok {
		return nil
	}
	return refuse(script, last, prog+"'s script")
}

// scriptSyntax is how an interpreter's options are written before the
// script it runs: the letters that give it program text or a module
// instead (-c, -e, -m: no script file), that make it read standard input
// (-s), that take a value (in the rest of the item, or the next item when
// last: -o pipefail, -W error), and the long options that take the next
// item.
type scriptSyntax struct {
	code, stdin, arg string
	longArg          []string
}

var (
	shellSyntax  = scriptSyntax{code: "c", stdin: "s", arg: "oO", longArg: []string{"--rcfile", "--init-file"}}
	pythonSyntax = scriptSyntax{code: "cm", arg: "WXQ", longArg: []string{"--check-hash-based-pycs"}}
	nodeSyntax   = scriptSyntax{code: "ep", arg: "rC", longArg: []string{"--eval", "--print", "--require", "--import", "--loader", "--experimental-loader", "--conditions", "--input-type"}}
)

// scriptInterpreters are the interpreters whose first operand is a script
// file they run, by the name their program is known under (see
// interpreterOf).
var scriptInterpreters = map[string]scriptSyntax{
	"sh": shellSyntax, "bash": shellSyntax, "dash": shellSyntax, "zsh": shellSyntax, "ksh": shellSyntax,
	"ash": shellSyntax, "mksh": shellSyntax, "yash": shellSyntax, "posh": shellSyntax, "rbash": shellSyntax,
	"python": pythonSyntax, "python2": pythonSyntax, "python3": pythonSyntax, "pypy": pythonSyntax,
	"perl": {code: "eE", arg: "IMm"},
	"ruby": {code: "e", arg: "IrCE"},
	"node": nodeSyntax, "nodejs": nodeSyntax,
}

// interpreterOf is the syntax of the interpreter prog, a base name,
// known also under the version distributions put in its name
// (wrapper.Interpreter).
func interpreterOf(prog string) (scriptSyntax, bool) {
	s, ok := scriptInterpreters[wrapper.Interpreter(prog, func(n string) bool { _, ok := scriptInterpreters[n]; return ok })]
	return s, ok
}

// scriptOperand is the script file the interpreter prog runs with args:
// the first item that is not an option or an option's value; none when
// prog is no interpreter known here, when an option gives the program
// text or a module, or when it reads standard input.
func scriptOperand(prog string, args []string) (string, bool) {
	syn, ok := interpreterOf(prog)
	if !ok {
		return "", false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--", a == "-" && syn.stdin != "": // a shell's - ends its options too
			if i+1 < len(args) && args[i+1] != "-" {
				return args[i+1], true
			}
			return "", false
		case a == "-" || a == "":
			return "", false
		case strings.HasPrefix(a, "--"):
			name, _, valued := strings.Cut(a, "=")
			for _, l := range syn.longArg {
				if name == l && !valued {
					i++
				}
			}
			if name == "--eval" || name == "--print" || name == "--command" {
				return "", false
			}
		case a[0] == '-' || a[0] == '+' && syn.stdin != "":
			for j := 1; j < len(a); j++ {
				c := a[j]
				if strings.IndexByte(syn.code, c) >= 0 || strings.IndexByte(syn.stdin, c) >= 0 {
					return "", false
				}
				if strings.IndexByte(syn.arg, c) >= 0 {
					if j == len(a)-1 {
						i++ // -o pipefail: the value is the next item
					}
					break // -Wignore: the rest is the value
				}
			}
		default:
			return a, true
		}
	}
	return "", false
}
