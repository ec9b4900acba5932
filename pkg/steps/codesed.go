package steps

import (
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// checkSed refuses ${{ }} in the script of [sed, options…, SCRIPT,
// files…] (the first operand unless -e or -f gives the script) and in the
// text of -e and --expression, unless --sandbox is given: GNU sed's e
// command and the e flag of s run a command, and w writes any file, so a
// value holding "/;e id" runs one. In sandbox mode sed refuses e, r and w.
func (l *loader) checkSed(args []*yaml.Node) {
	var scripts []*yaml.Node
	given := false // -e or -f gave the script: operands are files
	for i := 0; i < len(args); i++ {
		a := yamlx.Deref(args[i])
		if a.Kind != yaml.ScalarNode {
			return
		}
		v := a.Value
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
			i = len(args)
		}
	}
	for _, s := range scripts {
		if s.Kind == yaml.ScalarNode && strings.Contains(s.Value, "${{") {
			l.d.Add(l.posAt(s, strings.Index(s.Value, "${{")), "${{ }} is not allowed in a sed script without --sandbox: an interpolated value could add sed's e command, which runs a command, or w, which writes a file; add --sandbox (GNU sed), which refuses e, r and w, as in [sed, --sandbox, -i, \"s/a/${{ expr }}/\", FILE], or write the file with file.template")
			return
		}
	}
}

// wrapper is a program that runs the rest of its command line as a
// program of its own, after options of its own and, for some, operands.
type wrapper struct {
	short    string   // short options taking an argument (sudo -u app)
	long     []string // long options taking the next item as their argument
	operands int      // operands before the program (timeout 10, taskset 0x3)
}

// wrappers are the programs that run another, with what they take before
// it: the program they run is the first item after those.
var wrappers = map[string]wrapper{
	"sudo":    {"CDghpRrTtUu", []string{"--chdir", "--close-from", "--group", "--host", "--prompt", "--chroot", "--role", "--type", "--command-timeout", "--other-user", "--user"}, 0},
	"doas":    {"Cu", nil, 0},
	"env":     {"CSu", []string{"--chdir", "--split-string", "--unset"}, 0},
	"timeout": {"ks", []string{"--kill-after", "--signal"}, 1},
	"nice":    {"n", []string{"--adjustment"}, 0},
	"nohup":   {},
	"ionice":  {"cnpPu", []string{"--class", "--classdata", "--pid", "--pgid", "--uid"}, 0},
	"stdbuf":  {"ioe", []string{"--input", "--output", "--error"}, 0},
	"setsid":  {},
	"time":    {"fo", []string{"--format", "--output"}, 0},
	"xargs":   {"adEILnPs", []string{"--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-chars", "--process-slot-var"}, 0},
	"chrt":    {"TPD", []string{"--sched-runtime", "--sched-period", "--sched-deadline"}, 1},
	"taskset": {"", nil, 1},
	"busybox": {},
	"command": {},
	"exec":    {"a", nil, 0},
	"flock":   {"wE", []string{"--wait", "--timeout", "--conflict-exit-code"}, 1},
	"sshpass": {"pfdP", nil, 0},
}

// runsAsProgram reports whether items[k] is the program a command runs:
// its first item, or the first one after a wrapper's options and operands
// (sudo -u app sed ..., timeout 10 sed ...), not a word further on
// ([sudo, apt-get, install, sed]).
func runsAsProgram(items []*yaml.Node, k int) bool {
	for i := 0; i < len(items); {
		if i == k {
			return true
		}
		it := yamlx.Deref(items[i])
		if it.Kind != yaml.ScalarNode {
			return false
		}
		name := path.Base(it.Value)
		w, ok := wrappers[name]
		if !ok {
			return false
		}
		operands := w.operands
	options:
		for i++; i < len(items); i++ {
			a := yamlx.Deref(items[i])
			if a.Kind != yaml.ScalarNode {
				break
			}
			v := a.Value
			switch {
			case v == "--":
				i++
				break options
			case strings.HasPrefix(v, "--"):
				if slices.Contains(w.long, v) {
					i++ // --user app
				}
			case len(v) > 1 && v[0] == '-':
				// -u app, -uapp, -Eu app: an option taking an argument
				// takes the rest of its item, or the next item.
				for j := 1; j < len(v); j++ {
					if strings.IndexByte(w.short, v[j]) >= 0 {
						if j == len(v)-1 {
							i++
						}
						break
					}
				}
			case name == "env" && strings.Contains(v, "="):
				// NAME=value
			case operands > 0:
				operands--
			default:
				break options
			}
		}
	}
	return false
}
