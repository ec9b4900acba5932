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
	chdir    []string // the options that make it run the program in another directory (env -C DIR, --chdir DIR)
	optional string   // short options whose argument, optional, is the rest of their item alone (nsenter -m, prlimit -n1024)
	root     bool     // its first operand is the root directory the program runs under, started in its / (chroot NEWROOT)
	chroot   []string // the options that make it run the program under another root directory (sudo -R DIR, nsenter -rDIR)
	split    []string // the options whose argument it splits into the command it runs (env -S 'bash x.sh')
	// joins: unless one of these options is given, it joins the items
	// after its options with spaces and runs them with sh -c (watch,
	// unless -x): they are program text, no program's items.
	joins []string
	// text: the options whose argument is program text its user's shell
	// runs (su -c TEXT). su, and runuser without -u, read options
	// anywhere before "--"; their first operand is a user, and the
	// operands after it are arguments of that shell.
	text []string
	// shell: the options naming the shell it runs instead of the user's
	// (su -s SHELL).
	shell []string
}

// wrappers are the programs that run another, with what they take before
// it: the program they run is the first item after those. runuser is read
// as runuser -u USER [--] PROGRAM: without -u its first operand is a user.
var wrappers = map[string]wrapper{
	"sudo":    {short: "CDghpRrTtUu", long: []string{"--chdir", "--close-from", "--group", "--host", "--prompt", "--chroot", "--role", "--type", "--command-timeout", "--other-user", "--user"}, chdir: []string{"-D", "--chdir"}, chroot: []string{"-R", "--chroot"}},
	"doas":    {short: "Cu"},
	"env":     {short: "CSu", long: []string{"--chdir", "--split-string", "--unset"}, chdir: []string{"-C", "--chdir"}, split: []string{"-S", "--split-string"}},
	"timeout": {short: "ks", long: []string{"--kill-after", "--signal"}, operands: 1},
	"nice":    {short: "n", long: []string{"--adjustment"}},
	"nohup":   {},
	"ionice":  {short: "cnpPu", long: []string{"--class", "--classdata", "--pid", "--pgid", "--uid"}},
	"stdbuf":  {short: "ioe", long: []string{"--input", "--output", "--error"}},
	"setsid":  {},
	"time":    {short: "fo", long: []string{"--format", "--output"}},
	"xargs":   {short: "adEILnPs", long: []string{"--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-chars", "--process-slot-var"}, optional: "eil"},
	"chrt":    {short: "TPD", long: []string{"--sched-runtime", "--sched-period", "--sched-deadline"}, operands: 1},
	"taskset": {operands: 1},
	"busybox": {},
	"command": {},
	"exec":    {short: "a"},
	"flock":   {short: "wE", long: []string{"--wait", "--timeout", "--conflict-exit-code"}, operands: 1},
	"sshpass": {short: "pfdP"},
	"runuser": {short: "ugGcswC", long: []string{"--user", "--group", "--supp-group", "--command", "--shell", "--whitelist-environment", "--session-command"}},
	"chroot":  {long: []string{"--userspec", "--groups"}, operands: 1, root: true},
	"nsenter": {short: "tSGW", long: []string{"--target", "--setuid", "--setgid", "--wdns"}, chdir: []string{"-w", "--wd"}, chroot: []string{"-r", "--root"}, optional: "muinpUCTrw"},
	"setpriv": {long: []string{"--ruid", "--euid", "--rgid", "--egid", "--reuid", "--regid", "--groups", "--inh-caps", "--ambient-caps", "--bounding-set", "--securebits", "--pdeathsig", "--selinux-label", "--apparmor-profile", "--landlock-access", "--landlock-rule", "--seccomp-filter"}},
	"prlimit": {short: "po", long: []string{"--pid", "--output"}, optional: "bcdefilmnqrstuvxy"},
	"unshare": {short: "SGRwl", long: []string{"--setuid", "--setgid", "--root", "--wd", "--load-interp", "--propagation", "--setgroups", "--map-user", "--map-group", "--map-users", "--map-groups", "--monotonic", "--boottime"}, chdir: []string{"-w", "--wd"}, chroot: []string{"-R", "--root"}, optional: "muinpUCT"},
	"su":      {short: "cgGswu", long: []string{"--command", "--session-command", "--group", "--supp-group", "--shell", "--whitelist-environment", "--user"}, text: []string{"-c", "--command", "--session-command"}, shell: []string{"-s", "--shell"}},
	// script runs the text of -c with $SHELL (sh when unset); its operand
	// is the file it writes, and with no -c it starts that shell.
	"script":      {short: "cEIBOmoT", long: []string{"--command", "--echo", "--log-in", "--log-out", "--log-io", "--log-timing", "--logging-format", "--output-limit"}, optional: "t", text: []string{"-c", "--command"}},
	"sg":          {}, // sg [-] GROUP [-c] TEXT: see sgText
	"watch":       {short: "nq", long: []string{"--interval", "--equexit"}, optional: "d", joins: []string{"-x", "--exec"}},
	"systemd-run": {short: "upEMHC", long: []string{"--unit", "--property", "--description", "--slice", "--setenv", "--uid", "--gid", "--nice", "--working-directory", "--machine", "--host", "--service-type", "--on-active", "--on-boot", "--on-startup", "--on-unit-active", "--on-unit-inactive", "--on-calendar", "--timer-property", "--path-property", "--socket-property", "--capsule", "--background"}, chdir: []string{"--working-directory"}},
}

// Program is one program of a command line: the item at At, and the
// directory a wrapper before it made it run in (env -C DIR, sudo -D DIR,
// --chdir DIR), "" when none did.
type Program struct {
	At   int
	Dir  string
	Root string // the directory a wrapper made its root (chroot DIR): its paths are under it; "" when none did
	// Split is, when more than 0, the item holding the text this wrapper
	// splits into the command it runs (env -S TEXT, -STEXT,
	// --split-string=TEXT): that command is no item of argv.
	Split int
	// Text is, when more than 0, the item holding the program text this
	// wrapper runs with a shell (flock FILE -c TEXT, script -c TEXT, sg
	// GROUP TEXT): it runs no program that is an item of argv, only
	// what the shell reads in the text. Joined: the text is that item and all
	// after it joined with spaces (watch TEXT…, which runs it with sh -c
	// unless -x). TextFrom is where in that item the text starts: past
	// the option that holds it (su -cTEXT, --command=TEXT), 0 when the
	// text is the whole item.
	Text     int
	TextFrom int
	Joined   bool
	// Shell is, when more than 0, the first of the items su USER ARG…
	// (runuser without -u) gives the user's shell, which runs ARG as its
	// script.
	Shell int
	// ShellProgram is the shell su -s SHELL (--shell) runs instead of the
	// user's, "" when none is named.
	ShellProgram string
}

// Programs are the programs a command line argv runs: argv[0] and, while
// that is a wrapper (by its base name), the first item after the wrapper's
// options, their arguments and its operands (sudo -u app sed ..., timeout
// 10 sed ..., env A=1 nice -n 5 bash x.sh), not a word further on
// ([sudo, apt-get, install, sed]); the NAME=value items env and sudo
// take before it are no program (sudo -u app RAILS_ENV=production
// bin/task, env - PATH=/bin /opt/x). The last is a program that is no
// wrapper, or a wrapper with nothing after it to run.
// After chroot DIR, sudo -R DIR or unshare -R DIR a program's paths are
// under Root (chroot starts it in Root's /). A wrapper that splits an
// item into its command (env -S) has Split set; one that runs program
// text with a shell (flock FILE -c TEXT, watch TEXT…) has Text set, and
// is the last.
func Programs(argv []string) []Program {
	var out []Program
	dir, root := "", ""
	for i := 0; i < len(argv); {
		out = append(out, Program{At: i, Dir: dir, Root: root})
		name := path.Base(argv[i])
		w, ok := wrappers[name]
		if !ok {
			break
		}
		if name == "su" || name == "runuser" && !w.given([]string{"-u", "--user"}, argv[i+1:]) {
			p := &out[len(out)-1]
			p.Text, p.TextFrom, p.Shell, p.ShellProgram = wrappers["su"].shellText(argv, i+1)
			return out
		}
		if name == "script" {
			p := &out[len(out)-1]
			p.Text, p.TextFrom, _, _ = w.shellText(argv, i+1)
			return out
		}
		if name == "sg" {
			out[len(out)-1].Text = sgText(argv, i+1)
			return out
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
				opt = LongOption(opt, w.long, w.chdir, w.chroot, w.split, w.joins)
				if slices.Contains(w.long, opt) && !valued {
					i++ // --user app
					if i < len(argv) {
						val, valued = argv[i], true
					}
				}
				if slices.Contains(w.chdir, opt) && valued {
					dir = Within(dir, val)
				}
				if slices.Contains(w.chroot, opt) && valued {
					root = path.Join(root, Within(dir, val))
				}
				if slices.Contains(w.split, opt) && valued {
					out[len(out)-1].Split = i
				}
			case !ended && len(v) > 1 && v[0] == '-':
				// -u app, -uapp, -Eu app: an option taking an argument
				// takes the rest of its item, or the next item.
				for j := 1; j < len(v); j++ {
					if strings.IndexByte(w.optional, v[j]) >= 0 {
						// -m, -wDIR, -rDIR: the rest of the item, if any
						if j < len(v)-1 && slices.Contains(w.chdir, "-"+v[j:j+1]) {
							dir = Within(dir, v[j+1:])
						}
						if j < len(v)-1 && slices.Contains(w.chroot, "-"+v[j:j+1]) {
							root = path.Join(root, Within(dir, v[j+1:]))
						}
						break
					}
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
					if slices.Contains(w.chdir, "-"+v[j:j+1]) {
						dir = Within(dir, val)
					}
					if slices.Contains(w.chroot, "-"+v[j:j+1]) {
						root = path.Join(root, Within(dir, val))
					}
					if slices.Contains(w.split, "-"+v[j:j+1]) && i < len(argv) {
						out[len(out)-1].Split = i
					}
					break
				}
			case name == "env" && (strings.Contains(v, "=") || v == "-"):
				// NAME=value, and - for -i
			case name == "sudo" && sudoAssignment(v):
				// sudo VAR=value cmd sets VAR for cmd
			case operands > 0:
				operands--
				if w.root && !w.given([]string{"--skip-chdir"}, argv[out[len(out)-1].At+1:i]) {
					// chroot NEWROOT runs the program in NEWROOT's /;
					// --skip-chdir keeps the directory, and takes / alone
					root, dir = path.Join(root, Within(dir, v)), "/"
				}
				if name == "flock" && operands == 0 && i+1 < len(argv) && (argv[i+1] == "-c" || argv[i+1] == "--command") {
					if i+2 < len(argv) {
						out[len(out)-1].Text = i + 2
					}
					return out
				}
			default:
				break options
			}
		}
		for ended && i < len(argv) && (name == "env" && strings.Contains(argv[i], "=") || name == "sudo" && sudoAssignment(argv[i])) {
			i++ // env -- NAME=value PROGRAM: "--" ends the options, not the assignments
		}
		if w.joins != nil && i < len(argv) && !w.given(w.joins, argv[out[len(out)-1].At+1:i]) {
			// watch TEXT…: sh -c runs the items joined
			out[len(out)-1].Text, out[len(out)-1].Joined = i, true
			return out
		}
	}
	return out
}

// given is whether one of the options opts (-x, --exec) is among the
// items opts of the wrapper w, alone or with other short ones (-tx).
func (w wrapper) given(opts []string, items []string) bool {
	for k := 0; k < len(items); k++ {
		v := items[k]
		if v == "--" {
			return false
		}
		if strings.HasPrefix(v, "--") {
			name, _, valued := strings.Cut(v, "=")
			if name = LongOption(name, opts, w.long, w.chdir, w.chroot, w.split, w.joins); slices.Contains(opts, name) {
				return true
			} else if slices.Contains(w.long, name) && !valued {
				k++
			}
			continue
		}
		for j := 1; j < len(v); j++ {
			if slices.Contains(opts, "-"+v[j:j+1]) {
				return true
			}
			if strings.IndexByte(w.optional, v[j]) >= 0 {
				break
			}
			if strings.IndexByte(w.short, v[j]) >= 0 {
				if j == len(v)-1 {
					k++
				}
				break
			}
		}
	}
	return false
}

// shellText are the item of argv[from:] that holds the program text su
// runs with its user's shell (-c TEXT, -cTEXT, --command=TEXT) and where
// in that item the text starts (past -c or --command=), and the
// first argument it gives that shell, after the user; 0 for none; and
// the shell it names (su -s SHELL), "" for none. su
// reads options anywhere before "--" ("-" alone is no option: it asks
// for a login shell); so does script, whose -c text its $SHELL runs.
func (w wrapper) shellText(argv []string, from int) (text, textFrom, shell int, prog string) {
	operands := 0
	ended := false
	for i := from; i < len(argv); i++ {
		v := argv[i]
		switch {
		case v == "--":
			ended = true
		case !ended && strings.HasPrefix(v, "--"):
			name, val, valued := strings.Cut(v, "=")
			name = LongOption(name, w.long, w.text)
			if slices.Contains(w.long, name) && !valued {
				i++
				if slices.Contains(w.text, name) && i < len(argv) {
					text, textFrom = i, 0
				}
				if i < len(argv) {
					val = argv[i]
				}
			} else if slices.Contains(w.text, name) {
				text, textFrom = i, len(v)-len(val) // --command=TEXT
			}
			if slices.Contains(w.shell, name) {
				prog = val
			}
		case !ended && len(v) > 1 && v[0] == '-':
			for j := 1; j < len(v); j++ {
				if strings.IndexByte(w.optional, v[j]) >= 0 {
					break // script -tFILE: the rest of the item
				}
				if strings.IndexByte(w.short, v[j]) < 0 {
					continue
				}
				at, inItem := i, j+1
				if j == len(v)-1 {
					i++
					at, inItem = i, 0
				}
				if slices.Contains(w.text, "-"+v[j:j+1]) && at < len(argv) {
					text, textFrom = at, inItem // -c TEXT, -cTEXT
				}
				if slices.Contains(w.shell, "-"+v[j:j+1]) && at < len(argv) {
					prog = v[j+1:] // -s/bin/bash
					if j == len(v)-1 {
						prog = argv[at] // -s /bin/bash
					}
				}
				break
			}
		case v == "-" && operands == 0:
		default:
			operands++
			if operands == 2 && shell == 0 {
				shell = i
			}
		}
	}
	if text > 0 {
		shell = 0
	}
	return text, textFrom, shell, prog
}

// TextOf is the program text p runs with a shell (see Text), "" when it
// runs none: the text alone, without the option it is given in
// (-cTEXT, --command=TEXT).
func (p Program) TextOf(argv []string) string {
	switch {
	case p.Text <= 0 || p.Text >= len(argv):
		return ""
	case p.Joined:
		return strings.Join(argv[p.Text:], " ")
	}
	return argv[p.Text][p.TextFrom:]
}

// sgText is the item of argv[from:] that holds the text sg runs with
// /bin/sh -c, 0 for none: sg [-] GROUP [-c] TEXT (the items after TEXT
// are not read).
func sgText(argv []string, from int) int {
	i := from
	if i < len(argv) && argv[i] == "-" {
		i++
	}
	if i >= len(argv) || strings.HasPrefix(argv[i], "-") {
		return 0 // sg refuses an option: another program named sg (ast-grep's sg -p …)
	}
	i++ // the group
	if i < len(argv) && argv[i] == "-c" {
		i++
	}
	if i < len(argv) {
		return i
	}
	return 0
}

// LongOption is the long option opt (--name, without its "=value") as
// getopt_long reads it, which the wrappers here and GNU awk and sed use:
// a name of names, or the one name of names it is the start of (env
// --split for --split-string, su --comm for --command); opt as it is when
// it starts none or several (the program then refuses it as ambiguous).
func LongOption(opt string, names ...[]string) string {
	if len(opt) < 3 || !strings.HasPrefix(opt, "--") {
		return opt
	}
	found := ""
	for _, list := range names {
		for _, n := range list {
			switch {
			case n == opt:
				return opt
			case strings.HasPrefix(n, opt) && found != "" && found != n:
				found = "-"
			case strings.HasPrefix(n, opt) && found == "":
				found = n
			}
		}
	}
	if found == "" || found == "-" {
		return opt
	}
	return found
}

// sudoAssignment is whether v is NAME=value, as sudo reads a variable to
// set before its command: a name that holds no /, so that a program
// named by a path with = in it is still the program. It is wider than
// sh's rule (shellword.IsAssignment): sudo takes A-B=x as a variable,
// and the program is the word after it.
func sudoAssignment(v string) bool {
	n, _, ok := strings.Cut(v, "=")
	return ok && n != "" && !strings.Contains(n, "/")
}

// shellAlone are the wrappers that start a shell when no program follows
// their options and operands, given one of these options ("" for none
// needed): sudo -s or -i, doas -s, chroot NEWROOT ($SHELL -i), nsenter,
// unshare and script without -c ($SHELL), sg GROUP (the user's shell).
var shellAlone = map[string][]string{
	"sudo":    {"-s", "-i", "--shell", "--login"},
	"doas":    {"-s"},
	"chroot":  {""},
	"nsenter": {""},
	"unshare": {""},
	"script":  {""},
	"sg":      {""},
}

// UserShell reports whether argv ends in su USER (or runuser without -u)
// given no program text (-c) and no script for the user's shell, or in a
// wrapper that starts a shell when no program follows it ([sudo, -i],
// [nsenter, -t, 1, -a], [chroot, /srv/jail]): that shell then reads its
// program from standard input. name is the wrapper, by its base name.
func UserShell(argv []string) (name string, ok bool) {
	progs := Programs(argv)
	if len(progs) == 0 {
		return "", false
	}
	p := progs[len(progs)-1]
	name = path.Base(argv[p.At])
	if opts, alone := shellAlone[name]; alone && p.Text == 0 && p.Split == 0 {
		rest := argv[p.At+1:]
		if name == "sg" {
			// sg with no GROUP, or an option, starts nothing
			if len(rest) > 0 && rest[0] == "-" {
				rest = rest[1:]
			}
			return name, len(rest) > 0 && rest[0] != "" && rest[0][0] != '-'
		}
		if name == "chroot" {
			// chroot with no NEWROOT starts nothing
			return name, slices.ContainsFunc(rest, func(v string) bool { return v != "" && v[0] != '-' })
		}
		return name, opts[0] == "" || wrappers[name].given(opts, rest)
	}
	if name != "su" && (name != "runuser" || wrappers[name].given([]string{"-u", "--user"}, argv[p.At+1:])) {
		return "", false
	}
	return name, p.Text == 0 && p.Shell == 0
}
