package steps

import (
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// codeFlags are, by interpreter, the options whose next argument is
// program text: what `script` is for a shell. `${{ }}` there would run an
// interpolated value as code, as it would in script, where it is refused.
var codeFlags = map[string][]string{
	"sh": {"-c"}, "bash": {"-c"}, "dash": {"-c"}, "zsh": {"-c"}, "ksh": {"-c"}, "ash": {"-c"}, "busybox": {"-c"}, "fish": {"-c", "--command"},
	"python": {"-c"}, "python3": {"-c"}, "python2": {"-c"},
	"perl": {"-e", "-E"}, "ruby": {"-e"}, "node": {"-e", "--eval", "-p", "--print"}, "php": {"-r"},
	"pwsh": {"-c", "-Command", "-command"}, "powershell": {"-c", "-Command", "-command"},
}

// checkCodeArg refuses ${{ }} in the program text of a command such as
// [sh, -c, "…"] or [python3, -c, "…"]: the value would run as code, as in
// a script. A shell's combined options (-ec, -lc) count.
func (l *loader) checkCodeArg(s *Step, command *yaml.Node) {
	command = yamlx.Deref(command)
	if command.Kind != yaml.SequenceNode || len(command.Content) < 3 {
		return
	}
	first := yamlx.Deref(command.Content[0])
	if first.Kind != yaml.ScalarNode || strings.Contains(first.Value, "${{") {
		return
	}
	prog := path.Base(first.Value)
	flags, ok := codeFlags[prog]
	if !ok {
		return
	}
	for i := 1; i+1 < len(command.Content); i++ {
		arg := yamlx.Deref(command.Content[i])
		if arg.Kind != yaml.ScalarNode || !takesCode(arg.Value, flags) {
			continue
		}
		code := yamlx.Deref(command.Content[i+1])
		if code.Kind == yaml.ScalarNode && strings.Contains(code.Value, "${{") {
			l.d.Add(l.posAt(code, strings.Index(code.Value, "${{")),
				"${{ }} is not allowed in the program text of %s %s: an interpolated value would run as code; pass it as an argument after the text ([%s, %s, 'echo \"$1\"', %s, \"${{ expr }}\"]) or through the step's env (env: {NAME: \"${{ expr }}\"}, then \"$NAME\")",
				prog, arg.Value, prog, arg.Value, prog)
		}
		return
	}
}

// takesCode reports whether arg is one of flags, or a shell's short
// options ending in c (-ec, -lc, -xc).
func takesCode(arg string, flags []string) bool {
	for _, f := range flags {
		if arg == f {
			return true
		}
	}
	if flags[0] == "-c" && len(arg) > 2 && arg[0] == '-' && arg[1] != '-' && strings.HasSuffix(arg, "c") {
		return strings.Trim(arg[1:], "abefhklmnpstuvxBCEHPTc") == ""
	}
	return false
}
