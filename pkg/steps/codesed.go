package steps

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/wrapper"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// checkSed refuses ${{ }} in the script of [sed, options…, SCRIPT,
// files…] (the first operand unless -e or -f gives the script) and in the
// text of -e and --expression, unless --sandbox is given: GNU sed's e
// command and the e flag of s run a command, and w writes any file, so a
// value holding "/;e id" runs one. In sandbox mode sed refuses e, r and w.
// --sandbox counts before the script only: a sed that stops reading
// options at its first operand (BSD's, GNU's under POSIXLY_CORRECT) takes
// one after it for a file, and runs the script unsandboxed.
func (l *loader) checkSed(args []*yaml.Node) {
	var scripts []*yaml.Node
	given := false    // -e or -f gave the script: operands are files
	rest := len(args) // where the options sed surely reads end
	for i := 0; i < len(args); i++ {
		a := yamlx.Deref(args[i])
		if a.Kind != yaml.ScalarNode {
			return
		}
		v := longForm(a.Value, sedLongs)
		switch {
		case v == "--sandbox":
			return
		case v == "--":
			if !given && i+1 < len(args) {
				scripts = append(scripts, yamlx.Deref(args[i+1]))
			}
			i = len(args)
		case v == "-e" || v == "--expression":
			if i+1 < len(args) {
				scripts = append(scripts, yamlx.Deref(args[i+1]))
			}
			given = true
			i++
		case strings.HasPrefix(v, "--expression="):
			scripts = append(scripts, a)
			given = true
		case v == "-f" || v == "--file" || v == "-l" || v == "--line-length":
			given = given || v == "-f" || v == "--file"
			i++
		case strings.HasPrefix(v, "--file="):
			given = true
		case strings.HasPrefix(v, "--"):
		case len(v) > 1 && v[0] == '-':
			// Combined short options: -ne SCRIPT, -nf FILE, -i.bak.
			if j := strings.IndexAny(v[1:], "efil"); j >= 0 {
				switch c := v[1+j]; {
				case c == 'i':
				case 1+j < len(v)-1: // -eSCRIPT, -fFILE: the rest of the item
					if c == 'e' {
						scripts = append(scripts, a)
					}
					given = given || c != 'l'
				default:
					if c == 'e' && i+1 < len(args) {
						scripts = append(scripts, yamlx.Deref(args[i+1]))
					}
					given = given || c != 'l'
					i++
				}
			}
		default:
			if !given {
				scripts = append(scripts, a)
			}
			rest, i = i+1, len(args)
		}
	}
	why := "without --sandbox"
	fix := "add --sandbox (GNU sed), which refuses e, r and w, as in"
	if sandboxAfter(args[min(rest, len(args)):]) {
		why = "with --sandbox after it"
		fix = "a sed that stops reading options at its first operand (BSD's, or GNU's under POSIXLY_CORRECT) takes --sandbox there for a file name; move it before the script:"
	}
	for _, s := range scripts {
		if s.Kind == yaml.ScalarNode && strings.Contains(s.Value, "${{") {
			l.d.Add(l.posAt(s, strings.Index(s.Value, "${{")), "${{ }} is not allowed in a sed script %s: an interpolated value could add sed's e command, which runs a command, or w, which writes a file; %s [sed, --sandbox, -i, \"s/a/${{ expr }}/\", FILE], or write the file with file.template", why, fix)
			return
		}
	}
}

// sedLongs are the long options of GNU sed that checkSed reads, under
// the names --expr or --sand (getopt_long) stand for too.
var sedLongs = []string{"--expression", "--file", "--line-length", "--sandbox"}

// longForm is v, an item of a command, with the start of a long option
// (--expr=TEXT) written as the option of names it stands for
// (--expression=TEXT), as GNU's programs read it.
func longForm(v string, names []string) string {
	if !strings.HasPrefix(v, "--") {
		return v
	}
	name, val, valued := strings.Cut(v, "=")
	name = wrapper.LongOption(name, names)
	if valued {
		return name + "=" + val
	}
	return name
}

// sandboxAfter is whether args, the items after a sed script's operand,
// hold --sandbox before any "--".
func sandboxAfter(args []*yaml.Node) bool {
	for _, a := range args {
		a = yamlx.Deref(a)
		if a.Kind != yaml.ScalarNode || a.Value == "--" {
			return false
		}
		if longForm(a.Value, sedLongs) == "--sandbox" {
			return true
		}
	}
	return false
}

// runsAsProgram reports whether items[k] is the program a command runs:
// its first item, or the first one after a wrapper's options and operands
// (sudo -u app sed ..., timeout 10 sed ...), not a word further on
// ([sudo, apt-get, install, sed]).
func runsAsProgram(items []*yaml.Node, k int) bool {
	for _, p := range wrapper.Programs(scalarPrefix(items)) {
		if p.At == k {
			return true
		}
	}
	return false
}
