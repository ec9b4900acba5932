package wrapper

import (
	"path"
	"slices"
	"strings"
)

// ShellText is the program text the shell prog runs given args, as sh
// reads them: the first operand after its options when one of them is
// -c, alone or in a cluster (sh -c TEXT, bash -ec TEXT, sh -c -o pipefail
// TEXT, sh -c -- TEXT). ok is false when prog is no shell known here, or
// runs a script file or its standard input instead.
func ShellText(prog string, args []string) (text string, ok bool) {
	syn, known := interpreterOf(path.Base(prog))
	if !known || syn.stdin == "" {
		return "", false // no shell: only shells read -s
	}
	code := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--" || a == "-":
			if code && i+1 < len(args) {
				return args[i+1], true
			}
			return "", false
		case strings.HasPrefix(a, "--"):
			name, _, valued := strings.Cut(a, "=")
			if !valued && (slices.Contains(syn.longArg, name) || slices.Contains(syn.longFile, name)) {
				i++ // --rcfile FILE
			}
		case a != "" && (a[0] == '-' || a[0] == '+'):
			for j := 1; j < len(a); j++ {
				if strings.IndexByte(syn.code, a[j]) >= 0 {
					code = true
				}
				if strings.IndexByte(syn.arg, a[j]) >= 0 {
					if j == len(a)-1 {
						i++ // -o pipefail: the next item is its value
					}
					break
				}
			}
		default:
			if code {
				return a, true
			}
			return "", false // a script file
		}
	}
	return "", false
}
