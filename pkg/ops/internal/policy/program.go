package policy

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
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
	if last.Joined {
		// watch TEXT…: sh -c runs the items joined; a plain command's
		// words are judged as its items would be
		words, plain := plainWords(strings.Join(argv[last.Text:], " "))
		if !plain || last.Root != "" || len(words) == 0 {
			return nil
		}
		return SwappableProgram(ctx, param, words, inDir(dir, last.Dir))
	}
	prog, args := filepath.Base(argv[last.At]), argv[last.At+1:]
	if last.Shell > 0 {
		// su USER SCRIPT: the user's shell runs SCRIPT
		return refuseShellScript(argv[last.Shell:], func(p string) error { return refuse(p, last, prog+"'s script") })
	}
	for _, f := range scriptFiles(prog, args) {
		at := last
		at.Dir = inDir(at.Dir, f.dir)
		if err := refuse(f.path, at, prog+"'s script"); err != nil {
			return err
		}
	}
	return nil
}

// scriptSyntax is how an interpreter's options are written before the
// script it runs: the letters that give it program text or a module
// instead (-c, -e, -m: no script file), that make it read standard input
// (-s), that take a value (in the rest of the item, or the next item when
// last: -o pipefail, -W error), that take one in the rest of their item
// alone (perl -i.bak, -Mstrict), that name a file of code it runs (php -f
// FILE, awk -f FILE), that move it to another directory before it opens
// the script (ruby -C DIR), and the long options that take the next item
// (or a value after "="), name a file of code, or give program text.
type scriptSyntax struct {
	code, stdin, arg, rest, file, chdir string
	longArg, longFile, longCode         []string
	// text: its first operand is program text, not a file (awk, sed):
	// only the files its options name are scripts.
	text bool
}

var (
	shellSyntax  = scriptSyntax{code: "c", stdin: "s", arg: "oO", longFile: []string{"--rcfile", "--init-file"}}
	pythonSyntax = scriptSyntax{code: "cm", arg: "WXQ", longArg: []string{"--check-hash-based-pycs"}}
	nodeSyntax   = scriptSyntax{code: "ep", arg: "rC", longCode: []string{"--eval", "--print", "--run"}, longArg: []string{
		"--require", "--import", "--loader", "--experimental-loader", "--conditions", "--input-type",
		"--env-file", "--env-file-if-exists", "--title", "--inspect-port", "--debug-port", "--icu-data-dir",
		"--openssl-config", "--redirect-warnings", "--report-dir", "--report-directory", "--report-filename",
		"--report-signal", "--heapsnapshot-signal", "--diagnostic-dir", "--cpu-prof-dir", "--cpu-prof-name",
		"--heap-prof-dir", "--heap-prof-name", "--disable-warning", "--dns-result-order", "--watch-path",
		"--unhandled-rejections", "--tls-cipher-list", "--tls-keylog", "--trace-event-categories",
		"--trace-event-file-pattern", "--secure-heap", "--secure-heap-min", "--max-http-header-size",
		"--stack-size", "--experimental-default-type", "--snapshot-blob", "--allow-fs-read", "--allow-fs-write",
		"--localstorage-file", "--test-reporter", "--test-reporter-destination", "--test-name-pattern",
		"--test-skip-pattern", "--test-shard", "--test-concurrency", "--test-timeout", "--use-largepages",
		"--experimental-sea-config", "--experimental-config-file", "--heapsnapshot-near-heap-limit",
		"--max-old-space-size", "--max-semi-space-size",
	}}
	phpSyntax = scriptSyntax{code: "rBRE", arg: "cdzSt", file: "fF", longCode: []string{"--run", "--process-begin", "--process-code", "--process-end"},
		longArg:  []string{"--php-ini", "--define", "--zend-extension", "--server", "--docroot", "--rf", "--rc", "--re", "--rz", "--ri", "--rfunction", "--rclass", "--rextension", "--rzendextension", "--rextinfo"},
		longFile: []string{"--file", "--process-file"}}
	awkSyntax = scriptSyntax{text: true, arg: "FvelW", rest: "", file: "fE", longArg: []string{"--assign", "--field-separator", "--source", "--include", "--load"}, longFile: []string{"--file", "--exec"}}
)

// scriptInterpreters are the interpreters whose first operand is a script
// file they run, by the name their program is known under (see
// interpreterOf), and awk and sed, whose options name their script's file.
var scriptInterpreters = map[string]scriptSyntax{
	"sh": shellSyntax, "bash": shellSyntax, "dash": shellSyntax, "zsh": shellSyntax, "ksh": shellSyntax,
	"ash": shellSyntax, "mksh": shellSyntax, "yash": shellSyntax, "posh": shellSyntax, "rbash": shellSyntax,
	"python": pythonSyntax, "python2": pythonSyntax, "python3": pythonSyntax, "pypy": pythonSyntax,
	"perl": {code: "eE", arg: "I", rest: "0CdDilmMx"},
	"ruby": {code: "e", arg: "IrECX", rest: "0FiKlTWx", chdir: "CXx"},
	"node": nodeSyntax, "nodejs": nodeSyntax,
	"php": phpSyntax,
	"awk": awkSyntax, "gawk": awkSyntax, "mawk": awkSyntax, "nawk": awkSyntax,
	"sed": {text: true, arg: "el", rest: "i", file: "f", longArg: []string{"--expression", "--line-length"}, longFile: []string{"--file"}},
}

// interpreterOf is the syntax of the interpreter prog, a base name,
// known also under the version distributions put in its name
// (wrapper.Interpreter).
func interpreterOf(prog string) (scriptSyntax, bool) {
	s, ok := scriptInterpreters[wrapper.Interpreter(prog, func(n string) bool { _, ok := scriptInterpreters[n]; return ok })]
	return s, ok
}

// scriptFile is a file of code an interpreter runs: its path and the
// directory a relative path is in, relative to the interpreter's own
// ("" for the interpreter's own).
type scriptFile struct{ path, dir string }

// scriptFiles are the files of code the interpreter prog runs with args:
// those its options name (php -f FILE, awk -f FILE, bash --rcfile FILE)
// and its script, the first item that is not an option or an option's
// value (none when an option gives the program text or a module, when it
// reads standard input, or for awk's and sed's program text), in the
// directory an option moves it to first (ruby -C DIR); none when prog is
// no interpreter known here.
func scriptFiles(prog string, args []string) []scriptFile {
	syn, ok := interpreterOf(prog)
	if !ok {
		return nil
	}
	var out []scriptFile
	dir := ""
	add := func(p string) {
		if p != "" {
			out = append(out, scriptFile{p, dir})
		}
	}
	// value is the value of the option at args[i] that ends at item's
	// position j: the rest of the item, or the next item.
	value := func(i *int, a string, j int) string {
		if j < len(a)-1 {
			return a[j+1:]
		}
		*i++
		if *i < len(args) {
			return args[*i]
		}
		return ""
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--", a == "-" && syn.stdin != "": // a shell's - ends its options too
			if !syn.text && i+1 < len(args) && args[i+1] != "-" {
				add(args[i+1])
			}
			return out
		case a == "-" || a == "":
			return out
		case strings.HasPrefix(a, "--"):
			name, val, valued := strings.Cut(a, "=")
			if slices.Contains(syn.longCode, name) || name == "--command" {
				return out
			}
			takes := slices.Contains(syn.longArg, name)
			isFile := slices.Contains(syn.longFile, name)
			if (takes || isFile) && !valued {
				i++
				val = ""
				if i < len(args) {
					val = args[i]
				}
			}
			if isFile {
				add(val)
			}
		case a[0] == '-' || a[0] == '+' && syn.stdin != "":
			for j := 1; j < len(a); j++ {
				c := a[j]
				switch {
				case strings.IndexByte(syn.code, c) >= 0 || strings.IndexByte(syn.stdin, c) >= 0:
					return out
				case strings.IndexByte(syn.rest, c) >= 0:
					// -i.bak, -Mstrict, -x/srv: the rest of the item
					if strings.IndexByte(syn.chdir, c) >= 0 && j < len(a)-1 {
						dir = inDir(dir, a[j+1:])
					}
				case strings.IndexByte(syn.file, c) >= 0:
					add(value(&i, a, j))
				case strings.IndexByte(syn.arg, c) >= 0:
					v := value(&i, a, j) // -o pipefail, -Wignore
					if strings.IndexByte(syn.chdir, c) >= 0 {
						dir = inDir(dir, v)
					}
				default:
					continue
				}
				break
			}
		default:
			if !syn.text {
				add(a)
			}
			return out
		}
	}
	return out
}

// refuseShellScript is refuse's error for the script a shell given args
// runs, read as sh reads them.
func refuseShellScript(args []string, refuse func(string) error) error {
	for _, f := range scriptFiles("sh", args) {
		if err := refuse(inDir(f.dir, f.path)); err != nil {
			return err
		}
	}
	return nil
}

// plainWords are the words sh -c would split text into, when text holds
// nothing a shell reads other than spaces between words (no quote,
// variable, redirection, glob or separator), past the NAME=value words
// before its program, and whether it holds nothing else.
func plainWords(text string) ([]string, bool) {
	for _, c := range text {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(" \t/._-+=:,@%", c)) {
			return nil, false
		}
	}
	words := strings.Fields(text)
	for len(words) > 0 && strings.Contains(words[0], "=") && !strings.Contains(words[0], "/") {
		words = words[1:] // NAME=value before the program
	}
	return words, true
}

// inDir is the directory d names when the directory before was dir.
func inDir(dir, d string) string {
	if dir != "" && !filepath.IsAbs(d) {
		return filepath.Join(dir, d)
	}
	return d
}
