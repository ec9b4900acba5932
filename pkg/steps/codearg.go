package steps

import (
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/wrapper"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// interpreter is a program that runs program text given on its command
// line: what `script` is for a shell. `${{ }}` in that text would run an
// interpolated value as code, as it would in script, where it is refused.
type interpreter struct {
	letters string   // short options that take the text, alone or last of combined ones (-c, -ec)
	long    []string // long options that take it
	safe    string   // the command written safely, value as an argument
	// flag: the letters are flags, as a shell's -c is: the text is the
	// first operand after the options, and the letter may stand anywhere
	// among combined ones (sh -ce TEXT, bash -c -o pipefail TEXT).
	flag bool
}

var shellForm = interpreter{"c", nil, `[%[1]s, -c, 'echo "$1"', %[1]s, "${{ expr }}"]`, true}

var interpreters = map[string]interpreter{
	// busybox is none: it runs the applet named after it ([busybox, sh,
	// -c, …], [busybox, sed, …]), which is checked as itself.
	"sh": shellForm, "bash": shellForm, "dash": shellForm, "zsh": shellForm, "ksh": shellForm, "ash": shellForm,
	"mksh": shellForm, "yash": shellForm, "posh": shellForm, "rbash": shellForm,
	"csh": {"c", nil, "", true}, "tcsh": {"c", nil, "", true},
	"flock":      {"c", []string{"--command"}, "", false}, // flock FILE -c TEXT runs TEXT with sh -c
	"fish":       {"c", []string{"--command"}, `[fish, -c, 'echo $argv[1]', "${{ expr }}"]`, false},
	"su":         {"c", []string{"--command"}, "", false},
	"python":     {"c", nil, `[%[1]s, -c, 'import sys; print(sys.argv[1])', "${{ expr }}"]`, false},
	"python3":    {"c", nil, `[%[1]s, -c, 'import sys; print(sys.argv[1])', "${{ expr }}"]`, false},
	"python2":    {"c", nil, `[%[1]s, -c, 'import sys; print(sys.argv[1])', "${{ expr }}"]`, false},
	"perl":       {"eE", nil, `[%[1]s, -e, 'print $ARGV[0]', "${{ expr }}"]`, false},
	"ruby":       {"e", nil, `[%[1]s, -e, 'puts ARGV[0]', "${{ expr }}"]`, false},
	"node":       {"ep", []string{"--eval", "--print"}, `[%[1]s, -e, 'console.log(process.argv[1])', "${{ expr }}"]`, false},
	"nodejs":     {"ep", []string{"--eval", "--print"}, `[%[1]s, -e, 'console.log(process.argv[1])', "${{ expr }}"]`, false},
	"pypy":       {"c", nil, `[%[1]s, -c, 'import sys; print(sys.argv[1])', "${{ expr }}"]`, false},
	"php":        {"rBRE", []string{"--run", "--process-begin", "--process-code", "--process-end"}, `[%[1]s, -r, 'echo $argv[1];', "${{ expr }}"]`, false},
	"pwsh":       {"c", []string{"-Command", "-command", "-EncodedCommand"}, "", false},
	"powershell": {"c", []string{"-Command", "-command", "-EncodedCommand"}, "", false},
}

// manyTexts are the interpreters that read options after a program
// text, and run the texts of several (perl -e A -e B, php -B A -R B).
var manyTexts = map[string]bool{"perl": true, "ruby": true, "php": true}

// interpreterName is the name under which interpreters and stdinPrograms
// know prog (wrapper.Interpreter).
func interpreterName(prog string) string {
	return wrapper.Interpreter(prog, func(n string) bool { _, ok := interpreters[n]; return ok })
}

// checkCodeArg refuses ${{ }} in the program text of a command such as
// [sh, -c, "…"], [sudo, -u, app, bash, -ec, "…"] or [python3, -Ic, "…"]:
// the first interpreter in the list, the first of its options that takes
// program text, and the first item after that option that is not an
// option. An interpreter's name that is a word of the command, not the
// program it runs, is passed over at its first operand: in [docker,
// exec, php, sh, -c, "…"] php is a container, and sh runs the text.
// OpenSSH's programs (checkSSHCommand), awk (checkAwk) and sed (checkSed)
// have their own rules.
func (l *loader) checkCodeArg(s *Step, command *yaml.Node) {
	command = yamlx.Deref(command)
	if command.Kind != yaml.SequenceNode {
		return
	}
	items := command.Content
	if l.checkSplitString(items) || l.checkWrapperText(items) {
		return
	}
items:
	for k, it := range items {
		it = yamlx.Deref(it)
		if it.Kind != yaml.ScalarNode || strings.Contains(it.Value, "${{") {
			continue
		}
		prog := path.Base(it.Value)
		// OpenSSH's programs too are known only as the program run: in
		// [journalctl, -u, ssh, --since, "${{ inputs.since }}"] ssh is
		// the name of a service.
		if _, ok := sshArgLetters[prog]; ok && runsAsProgram(items, k) {
			l.checkSSHCommand(prog, items[k+1:])
			return
		}
		// awk and sed take their program as an operand, so they are known
		// only as the program run, alone or under a wrapper: in
		// [apt-get, install, sed, "${{ inputs.pkg }}"] sed is a word.
		if awks[prog] && runsAsProgram(items, k) {
			l.checkAwk(prog, items[k+1:])
			return
		}
		if (prog == "sed" || prog == "gsed") && runsAsProgram(items, k) {
			l.checkSed(items[k+1:])
			return
		}
		if prog == "flock" {
			// flock FILE -c TEXT runs TEXT with sh -c; flock FILE PROGRAM
			// ARGS… runs PROGRAM, met next in this loop, whose own -c
			// (rsync -ac, git -c name=value) is not flock's.
			if text := flockText(items[k+1:]); text != nil && strings.Contains(text.Value, "${{") {
				l.d.Add(l.posAt(text, strings.Index(text.Value, "${{")), "${{ }} is not allowed in the program text of flock -c: an interpolated value would run as code; %s", interpreters[prog].fix(prog))
				return
			} else if text != nil {
				return
			}
			continue
		}
		in, ok := interpreters[interpreterName(prog)]
		if !ok {
			continue
		}
		_, known := stdinPrograms[interpreterName(prog)]
	options:
		for i := k + 1; i < len(items); i++ {
			flag := yamlx.Deref(items[i])
			if flag.Kind != yaml.ScalarNode || !in.takesCode(flag.Value) {
				if known && flag.Kind == yaml.ScalarNode && (flag.Value == "--" || !strings.HasPrefix(flag.Value, "-") && !strings.HasPrefix(flag.Value, "+")) {
					if runsAsProgram(items, k) {
						return // a script file, or the end of the options: what follows is its arguments
					}
					continue items // a word, such as a container named php: the program may come later
				}
				if flag.Kind == yaml.ScalarNode && wrapper.GivesScript(prog, flag.Value) && runsAsProgram(items, k) {
					return // php -f FILE: a script file; what follows is its arguments
				}
				if flag.Kind == yaml.ScalarNode && wrapper.TakesNext(prog, flag.Value) {
					i++ // -o pipefail, --env-file .env: the option's argument
				}
				continue
			}
			for j := i + 1; j < len(items); j++ {
				code := yamlx.Deref(items[j])
				if code.Kind == yaml.ScalarNode && (strings.HasPrefix(code.Value, "-") || in.flag && strings.HasPrefix(code.Value, "+")) && !strings.Contains(code.Value, "${{") {
					if in.flag && wrapper.TakesNext(prog, code.Value) {
						j++ // sh -c -o pipefail TEXT: the option's value
					}
					continue // another option before the text
				}
				if code.Kind == yaml.ScalarNode && strings.Contains(code.Value, "${{") {
					l.d.Add(l.posAt(code, strings.Index(code.Value, "${{")), "${{ }} is not allowed in the program text of %s %s: an interpolated value would run as code; %s", prog, flag.Value, in.fix(prog))
				} else if manyTexts[interpreterName(prog)] && code.Kind == yaml.ScalarNode {
					i = j // perl -e A -e B: its options go on after a text
					continue options
				}
				return
			}
			return
		}
		return
	}
}

// checkSplitString refuses ${{ }} in the text of env -S (--split-string)
// and in the items after it, as in [env, -S, "bash -c", "echo ${{ … }}"]:
// env splits the text into the command it runs, whose program and
// program text are then no items to check, and a value in it could
// choose them. It reports whether it refused.
func (l *loader) checkSplitString(items []*yaml.Node) bool {
	argv := scalarPrefix(items)
	for _, p := range wrapper.Programs(argv) {
		if p.Split == 0 {
			continue
		}
		for _, it := range items[p.Split:] {
			if it = yamlx.Deref(it); it.Kind == yaml.ScalarNode && strings.Contains(it.Value, "${{") {
				l.d.Add(l.posAt(it, strings.Index(it.Value, "${{")), "${{ }} is not allowed in or after the text of %[1]s -S: %[1]s splits it into the command it runs, so an interpolated value could choose the program or its program text; write the command's words as items without -S, as in [%[1]s, bash, -c, 'echo \"$1\"', bash, \"${{ expr }}\"]", argv[p.At])
				return true
			}
		}
	}
	return false
}

// checkWrapperText refuses ${{ }} in the program text a wrapper run as
// the program runs with a shell (wrapper.Program.Text): the text of
// flock FILE -c TEXT, su USER -c TEXT (runuser without -u), script -c
// TEXT and sg GROUP [-c] TEXT, and the
// items of watch TEXT…, which watch joins and runs with sh -c unless -x
// is given. It reports whether such a
// wrapper runs the command: no program follows it.
func (l *loader) checkWrapperText(items []*yaml.Node) bool {
	argv := scalarPrefix(items)
	for _, p := range wrapper.Programs(argv) {
		if p.Text == 0 {
			continue
		}
		texts := items[p.Text : p.Text+1]
		if p.Joined {
			texts = items[p.Text:]
		}
		prog := path.Base(argv[p.At])
		for _, it := range texts {
			if it = yamlx.Deref(it); it.Kind != yaml.ScalarNode || !strings.Contains(it.Value, "${{") {
				continue
			}
			at := l.posAt(it, strings.Index(it.Value, "${{"))
			switch {
			case p.Joined:
				l.d.Add(at, "${{ }} is not allowed in the command of %[1]s without -x: %[1]s joins its items with spaces and runs them with sh -c, so an interpolated value would run as code; add -x (--exec), which runs the items as they are, as in [%[1]s, -x, --, df, -h, \"${{ expr }}\"]", prog)
			case prog == "script" || prog == "sg":
				l.d.Add(at, "${{ }} is not allowed in the program text of %[1]s: %[1]s runs it with a shell, so an interpolated value would run as code; pass it through the step's env (env: {NAME: \"${{ expr }}\"}), read as an environment variable (%[2]s)", scriptOrSg(prog), scriptOrSgSafe(prog))
			case prog == "su" || prog == "runuser":
				l.d.Add(at, "${{ }} is not allowed in the program text of %[1]s -c: %[1]s runs it with the user's shell, so an interpolated value would run as code; run the command's words as items under runuser -u, with the value as an argument after the text, as in [runuser, -u, app, --, sh, -c, 'echo \"$1\"', sh, \"${{ expr }}\"]", prog)
			default:
				l.d.Add(at, "${{ }} is not allowed in the program text of %[1]s %[2]s: an interpolated value would run as code; %[3]s", prog, argv[p.Text-1], interpreters[prog].fix(prog))
			}
			return true
		}
		return true
	}
	return false
}

// scriptOrSg names the program text of script (script -c) or sg.
func scriptOrSg(prog string) string {
	if prog == "script" {
		return "script -c"
	}
	return prog
}

// scriptOrSgSafe is the safe form of a command script or sg runs.
func scriptOrSgSafe(prog string) string {
	if prog == "script" {
		return `[script, -qc, 'systemctl restart "$UNIT"', /dev/null] with env: {UNIT: "${{ expr }}"}`
	}
	return `[sg, docker, 'docker restart "$NAME"'] with env: {NAME: "${{ expr }}"}`
}

// flockText is the TEXT of flock's arguments args when they are
// [options…, FILE, -c, TEXT] (or --command), else nil: flock takes -c only
// right after the file, and options only before it.
func flockText(args []*yaml.Node) *yaml.Node {
	for i := 0; i < len(args); i++ {
		a := yamlx.Deref(args[i])
		if a.Kind != yaml.ScalarNode {
			return nil
		}
		v := a.Value
		switch {
		case v == "--wait" || v == "--timeout" || v == "--conflict-exit-code":
			i++
		case strings.HasPrefix(v, "-") && len(v) > 1 && !strings.HasPrefix(v, "--"):
			if c := v[len(v)-1]; c == 'w' || c == 'E' {
				i++ // -w 10, -nw 10: the option's argument
			}
		case strings.HasPrefix(v, "--"):
		default: // the file
			if i+2 < len(args) {
				flag, text := yamlx.Deref(args[i+1]), yamlx.Deref(args[i+2])
				if flag.Kind == yaml.ScalarNode && (flag.Value == "-c" || flag.Value == "--command") && text.Kind == yaml.ScalarNode {
					return text
				}
			}
			return nil
		}
	}
	return nil
}

// takesCode reports whether arg is an option of the interpreter that takes
// program text: a long one, or short ones ending with one of its letters
// (-c, -ec, -lc, -Ic; -e, -ne, -pe), or holding one for a shell (-ce).
func (in interpreter) takesCode(arg string) bool {
	for _, f := range in.long {
		if arg == f {
			return true
		}
	}
	if len(arg) < 2 || arg[0] != '-' || arg[1] == '-' {
		return false
	}
	for _, c := range arg[1:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	if in.flag {
		return strings.ContainsAny(arg[1:], in.letters) // -ce, -euc
	}
	return strings.ContainsRune(in.letters, rune(arg[len(arg)-1]))
}

// fix says how to pass the value instead.
func (in interpreter) fix(prog string) string {
	env := `through the step's env (env: {NAME: "${{ expr }}"}), read as an environment variable`
	if in.safe == "" {
		return "pass it " + env
	}
	safe := in.safe
	if strings.Contains(safe, "%[1]s") {
		safe = strings.ReplaceAll(safe, "%[1]s", prog)
	}
	return "pass it as an argument after the text (" + safe + ") or " + env
}

// sshArgLetters are the options taking an argument of OpenSSH's
// programs (ssh(1), scp(1), sftp(1)).
var sshArgLetters = map[string]string{"ssh": "BbcDEeFIiJLlmOoPpQRSWw", "scp": "cDFiJloPSX", "sftp": "BbcDFiJloPRSs"}

// checkSSHCommand refuses ${{ }} where an OpenSSH program would run an
// interpolated value as code: in the remote command of [ssh, options…,
// destination, command…], which the remote shell runs joined by spaces,
// and in an operand before "--", where a value beginning with "-" is read
// as an option (-oProxyCommand=… runs a local command).
func (l *loader) checkSSHCommand(prog string, args []*yaml.Node) {
	letters := sshArgLetters[prog]
	i, terminated := 0, false
	for ; i < len(args); i++ {
		a := yamlx.Deref(args[i])
		if a.Kind != yaml.ScalarNode || strings.Contains(a.Value, "${{") || !strings.HasPrefix(a.Value, "-") || a.Value == "-" {
			break
		}
		if a.Value == "--" {
			i, terminated = i+1, true
			break
		}
		// -p 22, -p22, -vp 22: an option taking an argument takes the
		// rest of its item, or the next item when nothing is left.
		for j := 1; j < len(a.Value); j++ {
			if strings.IndexByte(letters, a.Value[j]) >= 0 {
				if j == len(a.Value)-1 {
					i++
				}
				break
			}
		}
	}
	operands := args[min(i, len(args)):]
	for k, a := range operands {
		a = yamlx.Deref(a)
		if a.Kind != yaml.ScalarNode || !strings.Contains(a.Value, "${{") {
			continue
		}
		at := l.posAt(a, strings.Index(a.Value, "${{"))
		switch {
		case prog == "ssh" && k > 0:
			l.d.Add(at, "${{ }} is not allowed in the remote command of ssh: ssh joins it with spaces for the remote shell, so an interpolated value would run as code; use op: ssh.exec, which quotes each item of its command for the remote shell")
			return
		case !terminated:
			l.d.Add(at, "${{ }} is not allowed in an operand of %[1]s before --: a value beginning with - would be read as an option, and -oProxyCommand=… runs a command; put -- before the operands: [%[1]s, --, \"${{ expr }}\", …]", prog)
			return
		}
	}
}

// stdinPrograms are the interpreters that read their program from standard
// input when no option gives it and no operand names a script (or the
// operand is "-"), with their options that end the choice: shells' -s
// (the rest are arguments), and python's -m (a module is the program).
// Their options that take an argument are wrapper.TakesNext's, the
// table the check of a script another user could swap reads.
var stdinPrograms = map[string]struct{ stdinOpts, moduleOpts string }{
	"sh": {"s", ""}, "bash": {"s", ""}, "dash": {"s", ""}, "zsh": {"s", ""}, "ksh": {"s", ""}, "ash": {"s", ""},
	"mksh": {"s", ""}, "yash": {"s", ""}, "posh": {"s", ""}, "rbash": {"s", ""},
	"pypy": {"", "m"}, "nodejs": {"", ""},
	"python": {"", "m"}, "python3": {"", "m"}, "python2": {"", "m"},
	"perl": {"", ""}, "ruby": {"", ""}, "node": {"", ""}, "php": {"", ""},
}

// checkCodeStdin refuses ${{ }} in the stdin of a command whose
// interpreter reads its program from standard input ([sh], [bash, -s, x],
// [python3, -]): the text written there runs as code, as a script does.
func (l *loader) checkCodeStdin(command *yaml.Node, pairs []yamlx.Pair) {
	var stdin *yaml.Node
	for _, p := range pairs {
		if p.Key == "stdin" {
			stdin = yamlx.Deref(p.V)
		}
	}
	command = yamlx.Deref(command)
	if stdin == nil || stdin.Kind != yaml.ScalarNode || !strings.Contains(stdin.Value, "${{") || command.Kind != yaml.SequenceNode {
		return
	}
	prog, ok := programFromStdin(command.Content)
	if !ok {
		return
	}
	l.d.Add(l.posAt(stdin, strings.Index(stdin.Value, "${{")), "${{ }} is not allowed in stdin when %s reads its program from it: an interpolated value would run as code; pass it through the step's env (env: {NAME: \"${{ expr }}\"}), read as an environment variable", prog)
}

// scalarPrefix are the values of items up to the first that is no
// scalar.
func scalarPrefix(items []*yaml.Node) []string {
	var argv []string
	for _, it := range items {
		it = yamlx.Deref(it)
		if it.Kind != yaml.ScalarNode {
			break
		}
		argv = append(argv, it.Value)
	}
	return argv
}

// programFromStdin reports whether the first interpreter in items reads
// its program from standard input, and which it is (the shell su USER
// starts, given no -c and no script, among them); one that is not the
// program run and meets an operand is a word ([docker, exec, -i, node,
// sh]: node is a container), and the search goes on after it.
func programFromStdin(items []*yaml.Node) (string, bool) {
	if name, ok := wrapper.UserShell(scalarPrefix(items)); ok {
		if name != "su" && name != "runuser" {
			return "the shell " + name + " starts (no program follows " + name + ")", true
		}
		return "the user's shell " + name + " starts", true
	}
	if name, ok := wrapper.JobFromStdin(scalarPrefix(items)); ok {
		return name + ", which queues it as the shell commands of a job,", true
	}
items:
	for k, it := range items {
		it = yamlx.Deref(it)
		if it.Kind != yaml.ScalarNode || strings.Contains(it.Value, "${{") {
			continue
		}
		prog := path.Base(it.Value)
		in, isInterp := interpreters[interpreterName(prog)]
		sp, ok := stdinPrograms[interpreterName(prog)]
		if !ok {
			if isInterp {
				return "", false
			}
			continue
		}
		for i := k + 1; i < len(items); i++ {
			a := yamlx.Deref(items[i])
			if a.Kind != yaml.ScalarNode || strings.Contains(a.Value, "${{") {
				return "", false // an operand: a script named at run time
			}
			v := a.Value
			switch {
			case v == "-":
				return prog, true
			case v == "--" && !runsAsProgram(items, k):
				continue items // kubectl exec node -- sh: node is the pod
			case v == "--":
				if i+1 < len(items) {
					next := yamlx.Deref(items[i+1])
					return prog, next.Kind == yaml.ScalarNode && next.Value == "-"
				}
				return prog, true
			case (len(v) < 2 || v[0] != '-' && v[0] != '+') && !runsAsProgram(items, k):
				continue items // a word, such as a container named php: the program may come later
			case len(v) < 2 || v[0] != '-' && v[0] != '+':
				return "", false // a script file
			case in.takesCode(v):
				return "", false // the program is on the command line
			case wrapper.GivesScript(prog, v):
				return "", false // php -f FILE: a script file
			case v[1] == '-':
				if wrapper.TakesNext(prog, v) {
					i++ // --env-file .env: the option's argument
				}
				continue
			}
			if sp.stdinOpts != "" && strings.ContainsAny(v[1:], sp.stdinOpts) {
				return prog, true
			}
			if sp.moduleOpts != "" && strings.ContainsAny(v[1:], sp.moduleOpts) {
				return "", false
			}
			if wrapper.TakesNext(prog, v) {
				i++ // the last option's argument is the next item (-o pipefail, -eo pipefail)
			}
		}
		return prog, true
	}
	return "", false
}
