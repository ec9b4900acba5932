package wrapper

import (
	"path/filepath"
	"slices"
	"strings"
)

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
	// num: the short options whose value, optional, is the digits that
	// follow in their item (perl -l015, -0777, -0x1F, ruby -0777): the
	// letters after those are options again (perl -lne, -0777ne).
	num                         string
	longArg, longFile, longCode []string
	// script: the short options of file and long ones of longFile that
	// name the program it runs (php -f FILE), no file run before it
	// (bash --rcfile FILE).
	script []string
	// text: its first operand is program text, not a file (awk, sed):
	// only the files its options name are scripts.
	text bool
	// codeGoesOn: its code options (code, longCode) take the code as
	// their value and its options go on after them, up to its first
	// operand, an argument of that code (perl -e CODE -MMod, node -e CODE
	// -r ./hook.js, ruby -e CODE -rlib).
	codeGoesOn bool
	// permutes: its options may follow its operands, as glibc's getopt
	// reads them unless told not to (sed s/a/b/ -f FILE, at now -f
	// FILE): an operand ends none; "--" does.
	permutes bool
	// abbrev: it reads a long option's unambiguous start as the option
	// (getopt_long: GNU awk's and sed's --fi for --file).
	abbrev bool
	// load, longLoad: the options (among arg, rest, longArg) whose value
	// is code it loads before its program: a path (/x, ./x, ../x) is a
	// file of code (node -r ./hook.js, --import); a module name is one
	// when inc dirs name where it is looked for first (perl -I DIR -MMod:
	// DIR/Mod.pm, with modExt).
	load     string
	longLoad []string
	inc      string
	modExt   string
}

var (
	shellSyntax  = scriptSyntax{code: "c", stdin: "s", arg: "oO", longFile: []string{"--rcfile", "--init-file"}}
	pythonSyntax = scriptSyntax{code: "cm", arg: "WXQ", longArg: []string{"--check-hash-based-pycs"}}
	nodeSyntax   = scriptSyntax{code: "ep", codeGoesOn: true, arg: "rC", load: "r", longLoad: []string{"--require", "--import", "--loader", "--experimental-loader"}, longCode: []string{"--eval", "--print", "--run"}, longArg: []string{
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
		longFile: []string{"--file", "--process-file"}, script: []string{"-f", "-F", "--file", "--process-file"}}
	atSyntax = scriptSyntax{text: true, permutes: true, arg: "qtu", file: "f"}
	// gawk -i FILE (--include) loads FILE, looked for in AWKPATH, "." first
	awkSyntax = scriptSyntax{text: true, abbrev: true, arg: "FvelW", rest: "", file: "fEi", longArg: []string{"--assign", "--field-separator", "--source", "--load"}, longFile: []string{"--file", "--exec", "--include"}}
)

// scriptInterpreters are the interpreters whose first operand is a script
// file they run, by the name their program is known under (see
// interpreterOf), and awk, sed and at, whose options name their
// script's file.
var scriptInterpreters = map[string]scriptSyntax{
	"sh": shellSyntax, "bash": shellSyntax, "dash": shellSyntax, "zsh": shellSyntax, "ksh": shellSyntax,
	"ash": shellSyntax, "mksh": shellSyntax, "yash": shellSyntax, "posh": shellSyntax, "rbash": shellSyntax,
	"python": pythonSyntax, "python2": pythonSyntax, "python3": pythonSyntax, "pypy": pythonSyntax,
	"perl": {code: "eE", codeGoesOn: true, arg: "I", rest: "CdDimMx", num: "0l", load: "mM", inc: "I", modExt: ".pm"},
	"ruby": {code: "e", codeGoesOn: true, arg: "IrECX", rest: "FiKTWx", num: "0", chdir: "CXx", load: "r", inc: "I", modExt: ".rb"},
	"node": nodeSyntax, "nodejs": nodeSyntax,
	"php": phpSyntax,
	"awk": awkSyntax, "gawk": awkSyntax, "mawk": awkSyntax, "nawk": awkSyntax,
	// at -f FILE queues FILE's shell commands as its job
	"at": atSyntax, "batch": atSyntax,
	"sed": {text: true, permutes: true, abbrev: true, arg: "el", rest: "i", file: "f", longArg: []string{"--expression", "--line-length"}, longFile: []string{"--file"}},
}

// longName is the long option name as the interpreter reads it (see
// abbrev).
func (syn scriptSyntax) longName(name string) string {
	if !syn.abbrev {
		return name
	}
	return LongOption(name, syn.longArg, syn.longFile, syn.longCode, syn.script)
}

// interpreterOf is the syntax of the interpreter prog, a base name,
// known also under the version distributions put in its name
// (Interpreter).
func interpreterOf(prog string) (scriptSyntax, bool) {
	s, ok := scriptInterpreters[Interpreter(prog, func(n string) bool { _, ok := scriptInterpreters[n]; return ok })]
	return s, ok
}

// ScriptFile is a file of code an interpreter runs: its path and the
// directory a relative path is in, relative to the interpreter's own
// ("" for the interpreter's own).
type ScriptFile struct {
	Path string
	Dir  string
}

// ScriptFiles are the files of code the interpreter prog runs with args:
// those its options name (php -f FILE, awk -f FILE, bash --rcfile FILE)
// and its script, the first item that is not an option or an option's
// value (none when an option gives the program text or a module, when it
// reads standard input, when an option named it (php -f FILE ARG…: the
// items after are its arguments), or for awk's and sed's program text), in the
// directory an option moves it to first (ruby -C DIR); none when prog is
// no interpreter known here.
func ScriptFiles(prog string, args []string) []ScriptFile {
	syn, ok := interpreterOf(prog)
	if !ok {
		return nil
	}
	var l loads
	out := syn.scriptFiles(args, &l)
	return append(out, l.files(syn)...)
}

// loads are the code an interpreter's options load (scriptSyntax.load):
// the paths given, the module names, and the directories they are
// looked for in first.
type loads struct {
	paths, incs []ScriptFile
	mods        []string
}

// add records v, the value of a load option given in dir.
func (l *loads) add(v, dir string) {
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "../") {
		l.paths = append(l.paths, ScriptFile{v, dir})
	} else if v != "" {
		l.mods = append(l.mods, v)
	}
}

// files are the files of code l names: its paths, and each module in
// each of its directories (perl -I lib -MApp::Conf: lib/App/Conf.pm).
func (l *loads) files(syn scriptSyntax) []ScriptFile {
	out := l.paths
	for _, m := range l.mods {
		// -M-strict (no strict), -MMod=a,b, -M'Mod qw(a)'
		m, _, _ = strings.Cut(strings.TrimPrefix(m, "-"), "=")
		m, _, _ = strings.Cut(m, " ")
		if m == "" || syn.modExt == "" {
			continue
		}
		m = strings.ReplaceAll(m, "::", "/")
		if !strings.HasSuffix(m, syn.modExt) {
			m += syn.modExt
		}
		for _, d := range l.incs {
			out = append(out, ScriptFile{filepath.Join(d.Path, m), d.Dir})
		}
	}
	return out
}

// scriptFiles are ScriptFiles' files but for the code its load options
// name, which it records in l.
func (syn scriptSyntax) scriptFiles(args []string, l *loads) []ScriptFile {
	var out []ScriptFile
	dir := ""
	add := func(p string) {
		if p != "" {
			out = append(out, ScriptFile{p, dir})
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
	code := false // code given (codeGoesOn): an operand is no script
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--", a == "-" && syn.stdin != "": // a shell's - ends its options too
			if !syn.text && !code && i+1 < len(args) && args[i+1] != "-" {
				add(args[i+1])
			}
			return out
		case a == "-" || a == "":
			return out
		case strings.HasPrefix(a, "--"):
			name, val, valued := strings.Cut(a, "=")
			name = syn.longName(name)
			if slices.Contains(syn.longCode, name) && syn.codeGoesOn {
				if !valued {
					i++ // node --eval CODE
				}
				code = true
				continue
			}
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
			if slices.Contains(syn.longLoad, name) {
				l.add(val, dir)
			}
			if slices.Contains(syn.script, name) {
				return out // php --file FILE: what follows are its arguments
			}
		case a[0] == '-' || a[0] == '+' && syn.stdin != "":
			for j := 1; j < len(a); j++ {
				c := a[j]
				switch {
				case strings.IndexByte(syn.code, c) >= 0 && syn.codeGoesOn:
					// -e CODE, -eCODE, -pe CODE: the code, then options
					if strings.Trim(a[j+1:], syn.code) == "" {
						j = len(a) - 1
					}
					value(&i, a, j)
					code = true
				case strings.IndexByte(syn.code, c) >= 0 || strings.IndexByte(syn.stdin, c) >= 0:
					return out
				case strings.IndexByte(syn.num, c) >= 0:
					j = numEnd(a, j) // -l015, -0777: the options go on after
					continue
				case strings.IndexByte(syn.rest, c) >= 0:
					// -i.bak, -Mstrict, -x/srv: the rest of the item
					if strings.IndexByte(syn.chdir, c) >= 0 && j < len(a)-1 {
						dir = Within(dir, a[j+1:])
					}
					if strings.IndexByte(syn.load, c) >= 0 {
						l.add(a[j+1:], dir)
					}
				case strings.IndexByte(syn.file, c) >= 0:
					add(value(&i, a, j))
					if slices.Contains(syn.script, "-"+a[j:j+1]) {
						return out // php -f FILE: what follows are its arguments
					}
				case strings.IndexByte(syn.arg, c) >= 0:
					v := value(&i, a, j) // -o pipefail, -Wignore
					if strings.IndexByte(syn.chdir, c) >= 0 {
						dir = Within(dir, v)
					}
					if strings.IndexByte(syn.load, c) >= 0 {
						l.add(v, dir)
					}
					if strings.IndexByte(syn.inc, c) >= 0 && v != "" {
						l.incs = append(l.incs, ScriptFile{v, dir})
					}
				default:
					continue
				}
				break
			}
		default:
			if syn.permutes {
				continue // at now -f FILE: options go on
			}
			if !syn.text && !code {
				add(a)
			}
			return out
		}
	}
	return out
}

// Within is the directory d names when the directory before was dir.
func Within(dir, d string) string {
	if dir != "" && !filepath.IsAbs(d) {
		return filepath.Join(dir, d)
	}
	return d
}

// TakesNext reports whether a, an option of the interpreter prog (a base
// name, known also with a version), takes the next item for its value:
// a long one taking an argument without "=" (node --env-file .env, bash
// --rcfile FILE), or short ones whose last takes an argument it has not
// in the rest of its item (-o pipefail, -eO extglob, ruby -C DIR); false
// for an option giving program text, which the caller reads itself.
func TakesNext(prog, a string) bool {
	syn, ok := interpreterOf(prog)
	if !ok || len(a) < 2 || a[0] != '-' && a[0] != '+' {
		return false
	}
	if strings.HasPrefix(a, "--") {
		name, _, valued := strings.Cut(a, "=")
		name = syn.longName(name)
		return !valued && (slices.Contains(syn.longArg, name) || slices.Contains(syn.longFile, name))
	}
	for j := 1; j < len(a); j++ {
		c := a[j]
		switch {
		case strings.IndexByte(syn.num, c) >= 0:
			j = numEnd(a, j)
		case strings.IndexByte(syn.code, c) >= 0, strings.IndexByte(syn.stdin, c) >= 0, strings.IndexByte(syn.rest, c) >= 0:
			return false
		case strings.IndexByte(syn.file, c) >= 0, strings.IndexByte(syn.arg, c) >= 0:
			return j == len(a)-1
		}
	}
	return false
}

// GivesScript reports whether a, an option of the interpreter prog,
// names the file of the program it runs (php -f FILE, --file=FILE), as
// an operand does: what comes after are that program's arguments.
func GivesScript(prog, a string) bool {
	syn, ok := interpreterOf(prog)
	if !ok || len(a) < 2 || a[0] != '-' {
		return false
	}
	if strings.HasPrefix(a, "--") {
		name, _, _ := strings.Cut(a, "=")
		return slices.Contains(syn.script, syn.longName(name))
	}
	for j := 1; j < len(a); j++ {
		c := a[j]
		switch {
		case slices.Contains(syn.script, "-"+a[j:j+1]):
			return true
		case strings.IndexByte(syn.num, c) >= 0:
			j = numEnd(a, j)
		case strings.IndexByte(syn.code+syn.stdin+syn.rest+syn.file+syn.arg, c) >= 0:
			return false
		}
	}
	return false
}

// numEnd is the index in a of the last byte of the option at j and of
// the number that follows it in the item, as perl reads it: octal or
// decimal digits, or for -0 an x and hex digits (-0x1F).
func numEnd(a string, j int) int {
	digits := "0123456789"
	if a[j] == '0' && j+1 < len(a) && a[j+1] == 'x' {
		j, digits = j+1, "0123456789abcdefABCDEF"
	}
	for j+1 < len(a) && strings.IndexByte(digits, a[j+1]) >= 0 {
		j++
	}
	return j
}
