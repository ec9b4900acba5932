package steps

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// awks are the awk programs. Their program text is their first operand
// (or the argument of gawk's -e), and it can run commands (system(),
// "cmd" | getline), so ${{ }} there would run a value as code.
var awks = map[string]bool{"awk": true, "gawk": true, "mawk": true, "nawk": true}

// awkArgOpts are the options of the awks taking the next item as their
// argument when written alone: -F fs, -v var=value, -f file, gawk's
// -e text, -E file, -i and -l libraries, mawk's -W option.
const awkArgOpts = "FvfeEilW"

// awkLongs are the long options of GNU awk that checkAwk reads, under
// the names --so or --fil stand for too.
var awkLongs = []string{"--source", "--file", "--exec", "--assign", "--field-separator", "--include", "--load"}

// checkAwk refuses ${{ }} in the program text of [awk, options…, TEXT,
// files…]: the first operand, unless -f (or -E) names the program's file
// or -e (--source) gives its text, and the argument of -e or --source. A
// value is passed as data with -v name=value (--assign name=value).
func (l *loader) checkAwk(prog string, args []*yaml.Node) {
	fromFile := false
	refuse := func(n *yaml.Node) {
		l.d.Add(l.posAt(n, strings.Index(n.Value, "${{")), "${{ }} is not allowed in the program text of %[1]s: an interpolated value would run as code (awk's system() runs a command); pass it as a variable, [%[1]s, -v, \"x=${{ expr }}\", '{ print x }'], or through the step's env (env: {NAME: \"${{ expr }}\"}), read as ENVIRON[\"NAME\"]", prog)
	}
	for i := 0; i < len(args); i++ {
		a := yamlx.Deref(args[i])
		if a.Kind != yaml.ScalarNode {
			return
		}
		v := longForm(a.Value, awkLongs)
		switch {
		case v == "--":
			if !fromFile && i+1 < len(args) {
				if next := yamlx.Deref(args[i+1]); next.Kind == yaml.ScalarNode && strings.Contains(next.Value, "${{") {
					refuse(next)
				}
			}
			return
		case strings.HasPrefix(v, "--source="):
			if strings.Contains(v, "${{") {
				refuse(a)
				return
			}
			fromFile = true
		case v == "--source" || v == "-e":
			if i+1 < len(args) {
				if next := yamlx.Deref(args[i+1]); next.Kind == yaml.ScalarNode && strings.Contains(next.Value, "${{") {
					refuse(next)
					return
				}
			}
			fromFile = true // the program is given: operands are files
			i++
		case v == "--file" || v == "--exec" || v == "-f" || v == "-E" || strings.HasPrefix(v, "--file=") || strings.HasPrefix(v, "--exec="):
			fromFile = true
			if !strings.Contains(v, "=") {
				i++
			}
		case v == "--assign" || v == "--field-separator" || v == "--include" || v == "--load":
			i++ // --assign x=1: the option's argument
		case strings.HasPrefix(v, "--"):
			// A long option of gawk without an argument of its own,
			// or with it after "=".
		case len(v) > 1 && v[0] == '-':
			switch {
			case len(v) == 2 && strings.IndexByte(awkArgOpts, v[1]) >= 0:
				i++ // -F :, -v x=1: the option's argument
			case v[1] == 'f' || v[1] == 'E':
				fromFile = true // -fprog.awk
			}
		default:
			if !fromFile && strings.Contains(v, "${{") {
				refuse(a)
			}
			return
		}
	}
}
