// Package wrapper knows the programs that run another program named on
// their command line (sudo, env, timeout, nice…), and which item of a
// command line is the program that runs under them.
package wrapper

import (
	"path"
	"slices"
	"strings"
)

// wrapper is a program that runs the rest of its command line as a
// program of its own, after options of its own and, for some, operands.
type wrapper struct {
	short    string   // short options taking an argument (sudo -u app)
	long     []string // long options taking the next item as their argument
	operands int      // operands before the program (timeout 10, taskset 0x3)
	chdir    string   // the short option that makes it run the program in another directory (env -C DIR)
}

// wrappers are the programs that run another, with what they take before
// it: the program they run is the first item after those.
var wrappers = map[string]wrapper{
	"sudo":    {"CDghpRrTtUu", []string{"--chdir", "--close-from", "--group", "--host", "--prompt", "--chroot", "--role", "--type", "--command-timeout", "--other-user", "--user"}, 0, "D"},
	"doas":    {"Cu", nil, 0, ""},
	"env":     {"CSu", []string{"--chdir", "--split-string", "--unset"}, 0, "C"},
	"timeout": {"ks", []string{"--kill-after", "--signal"}, 1, ""},
	"nice":    {"n", []string{"--adjustment"}, 0, ""},
	"nohup":   {},
	"ionice":  {"cnpPu", []string{"--class", "--classdata", "--pid", "--pgid", "--uid"}, 0, ""},
	"stdbuf":  {"ioe", []string{"--input", "--output", "--error"}, 0, ""},
	"setsid":  {},
	"time":    {"fo", []string{"--format", "--output"}, 0, ""},
	"xargs":   {"adEILnPs", []string{"--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-chars", "--process-slot-var"}, 0, ""},
	"chrt":    {"TPD", []string{"--sched-runtime", "--sched-period", "--sched-deadline"}, 1, ""},
	"taskset": {"", nil, 1, ""},
	"busybox": {},
	"command": {},
	"exec":    {"a", nil, 0, ""},
	"flock":   {"wE", []string{"--wait", "--timeout", "--conflict-exit-code"}, 1, ""},
	"sshpass": {"pfdP", nil, 0, ""},
}

// Program is one program of a command line: the item at At, and the
// directory a wrapper before it made it run in (env -C DIR, sudo -D DIR,
// --chdir DIR), "" when none did.
type Program struct {
	At  int
	Dir string
}

// Programs are the programs a command line argv runs: argv[0] and, while
// that is a wrapper (by its base name), the first item after the wrapper's
// options, their arguments and its operands (sudo -u app sed ..., timeout
// 10 sed ..., env A=1 nice -n 5 bash x.sh), not a word further on
// ([sudo, apt-get, install, sed]); the NAME=value items env and sudo
// take before it are no program (sudo -u app RAILS_ENV=production
// bin/task, env - PATH=/bin /opt/x). The last is a program that is no
// wrapper, or a wrapper with nothing after it to run. flock FILE -c TEXT
// runs TEXT with sh -c: it runs no program named on its command line.
func Programs(argv []string) []Program {
	var out []Program
	dir := ""
	for i := 0; i < len(argv); {
		out = append(out, Program{At: i, Dir: dir})
		name := path.Base(argv[i])
		w, ok := wrappers[name]
		if !ok {
			break
		}
		operands := w.operands
		// after the options, when the wrapper takes an operand: flock
		// FILE -c TEXT has no program.
		ended := false
	options:
		for i++; i < len(argv); i++ {
			v := argv[i]
			switch {
			case v == "--":
				ended = true
				if operands == 0 {
					i++
					break options
				}
			case !ended && strings.HasPrefix(v, "--"):
				opt, val, valued := strings.Cut(v, "=")
				if slices.Contains(w.long, opt) && !valued {
					i++ // --user app
					if i < len(argv) {
						val, valued = argv[i], true
					}
				}
				if opt == "--chdir" && valued && w.chdir != "" {
					dir = within(dir, val)
				}
			case !ended && len(v) > 1 && v[0] == '-':
				// -u app, -uapp, -Eu app: an option taking an argument
				// takes the rest of its item, or the next item.
				for j := 1; j < len(v); j++ {
					if strings.IndexByte(w.short, v[j]) < 0 {
						continue
					}
					val := v[j+1:]
					if j == len(v)-1 {
						i++
						val = ""
						if i < len(argv) {
							val = argv[i]
						}
					}
					if w.chdir != "" && v[j] == w.chdir[0] {
						dir = within(dir, val)
					}
					break
				}
			case name == "env" && (strings.Contains(v, "=") || v == "-"):
				// NAME=value, and - for -i
			case name == "sudo" && isAssignment(v):
				// sudo VAR=value cmd sets VAR for cmd
			case operands > 0:
				operands--
				if name == "flock" && operands == 0 && i+1 < len(argv) && (argv[i+1] == "-c" || argv[i+1] == "--command") {
					return out
				}
			default:
				break options
			}
		}
	}
	return out
}

// isAssignment is whether v is NAME=value, as sudo reads a variable to
// set before its command: a name that holds no /, so that a program
// named by a path with = in it is still the program.
func isAssignment(v string) bool {
	n, _, ok := strings.Cut(v, "=")
	return ok && n != "" && !strings.Contains(n, "/")
}

// within is the directory d names when the directory before was dir.
func within(dir, d string) string {
	if dir != "" && !path.IsAbs(d) {
		return path.Join(dir, d)
	}
	return d
}
