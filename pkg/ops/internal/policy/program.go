package policy

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/shellword"
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
// found through PATH is not judged. The program text a shell runs (sh -c
// TEXT, and that of flock FILE -c TEXT, su USER -c TEXT, watch TEXT…) is
// judged line by line, as a command's items where a line is plain words
// (swappableText). A command a wrapper splits from one
// item (env -S TEXT) cannot be judged and is refused. dir "" is this process's working
// directory. The error begins with param, the parameter that gives argv.
// It is judged right before the program starts: a file no other user
// could swap then cannot be swapped before the exec.
func SwappableProgram(ctx context.Context, param string, argv []string, dir string) error {
	if !ops.CallFrom(ctx).RefuseSwappable || len(argv) == 0 {
		return nil
	}
	return swappableProgram(param, argv, dir, "")
}

// SwappableCommand is SwappableProgram's judgement of argv whatever the
// call: for a command fixed when it is configured and judged then, every
// time (a plugin manifest's command, judged at load).
func SwappableCommand(param string, argv []string, dir string) error {
	if len(argv) == 0 {
		return nil
	}
	return swappableProgram(param, argv, dir, "")
}

// swappableProgram is SwappableProgram's error for argv run under the
// root directory outer, as this host sees it ("" for none): the command
// watch runs under chroot DIR.
func swappableProgram(param string, argv []string, dir, outer string) error {
	refuse := func(p string, at wrapper.Program, what string) error {
		return refuseFile(param, p, at, dir, outer, what)
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
	prog, args := filepath.Base(argv[last.At]), argv[last.At+1:]
	if last.ShellProgram != "" {
		// su -s SHELL: the shell it runs is a program, which su runs
		// by its path, in the working directory when it holds no /
		// (not found through PATH)
		if err := refuse(last.ShellProgram, last, "the shell "+prog+" -s runs"); err != nil {
			return err
		}
	}
	if last.Text > 0 {
		// flock FILE -c TEXT, su USER -c TEXT, script -c TEXT, sg GROUP
		// TEXT and watch TEXT… (the items joined): a shell runs the
		// text; a plain command's words are judged as its items would be
		return swappableText(param, last.TextOf(argv), last, dir, outer)
	}
	if text, ok := wrapper.ShellText(prog, args); ok {
		// sh -c TEXT, bash -eo pipefail -c TEXT (shell.exec's script:)
		return swappableText(param, text, last, dir, outer)
	}
	if last.Shell > 0 {
		// su USER SCRIPT: the user's shell runs SCRIPT
		return refuseShellScript(argv[last.Shell:], func(p string) error { return refuse(p, last, prog+"'s script") })
	}
	for _, f := range wrapper.ScriptFiles(prog, args) {
		at := last
		at.Dir = wrapper.Within(at.Dir, f.Dir)
		if err := refuse(f.Path, at, prog+"'s script"); err != nil {
			return err
		}
	}
	return nil
}

// refuseFile is swappableProgram's error for the file p (what it is to
// the command: "the program", "bash's script") that the program at runs,
// relative to its directory, under its root; nil when no other user
// could swap it.
func refuseFile(param, p string, at wrapper.Program, dir, outer, what string) error {
	in := at.Dir
	if !filepath.IsAbs(p) {
		if !filepath.IsAbs(in) && dir != "" {
			in = filepath.Join(dir, in)
		}
		if in != "" {
			p = filepath.Join(in, p)
		}
	}
	if root := rootOf(at, dir, outer); root != "" {
		// chroot DIR: the file is DIR's, as this host sees it
		p = filepath.Join(root, p)
	}
	if msg := fsx.PathAnyoneMayWrite(p, what, programCould); msg != "" {
		return ops.WithClass(ops.ClassValidation, errors.New(param+": "+msg))
	}
	return nil
}

// swappableText is swappableProgram's error for the program text a shell
// runs for the program at (a wrapper's, or sh -c TEXT): each line of it
// that is plain words (plainWords) is judged as a command's items, from
// its program on (commandWords), and the file of . FILE (source) as code
// the shell runs; other
// lines, with quotes, expansions, pipes or redirections, are not judged.
func swappableText(param, text string, at wrapper.Program, dir, outer string) error {
	for line := range strings.Lines(text) {
		words, plain := plainWords(strings.TrimSpace(line))
		if words = commandWords(words); !plain || len(words) == 0 {
			continue
		}
		if (words[0] == "." || words[0] == "source") && len(words) > 1 {
			// . FILE, source FILE: the shell itself runs FILE's code;
			// one without a / is looked for through PATH first
			if !strings.Contains(words[1], "/") {
				continue
			}
			if err := refuseFile(param, words[1], at, dir, outer, "the script "+words[0]+" runs"); err != nil {
				return err
			}
			continue
		}
		// chroot DIR watch …: its command's files are under DIR
		if err := swappableProgram(param, words, wrapper.Within(dir, at.Dir), rootOf(at, dir, outer)); err != nil {
			return err
		}
	}
	return nil
}

// rootOf is the root directory the program at runs under, as this host
// sees it: its wrappers' (chroot DIR), relative to dir, under outer.
func rootOf(at wrapper.Program, dir, outer string) string {
	root := at.Root
	if root != "" && !filepath.IsAbs(root) && dir != "" {
		root = filepath.Join(dir, root)
	}
	if outer != "" {
		root = filepath.Join(outer, root)
	}
	return root
}

// refuseShellScript is refuse's error for the script a shell given args
// runs, read as sh reads them.
func refuseShellScript(args []string, refuse func(string) error) error {
	for _, f := range wrapper.ScriptFiles("sh", args) {
		if err := refuse(wrapper.Within(f.Dir, f.Path)); err != nil {
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
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(" \t/._-+=:,@%!", c)) {
			return nil, false
		}
	}
	words := strings.Fields(text)
	for len(words) > 0 && shellword.IsAssignment(words[0]) {
		words = words[1:] // NAME=value before the program, PATH=/usr/bin too
	}
	return words, true
}

// shellFirst are the words sh reads before a command on its line, which
// run the words after them as that command: reserved words (if /srv/check
// on a line of its own, then, do…, ! /srv/check, if ! /srv/check) and the
// builtins builtin and eval.
var shellFirst = map[string]bool{
	"if": true, "then": true, "elif": true, "else": true, "while": true,
	"until": true, "do": true, "!": true, "builtin": true, "eval": true,
}

// commandWords are the words of a plain line from its command's program
// on: past the words of shellFirst, and the NAME=value words after them.
func commandWords(words []string) []string {
	for len(words) > 0 && shellFirst[words[0]] {
		words = words[1:]
		for len(words) > 0 && shellword.IsAssignment(words[0]) {
			words = words[1:]
		}
	}
	return words
}

// SwappableFound is SwappableProgram's error for the program name (no /
// in it) found through PATH at path, when the call refuses swappable
// files: a PATH the step's env sets (or the runner's own) may name a
// directory every user may write, where another user puts a program of
// that name, as well as a path written out may.
func SwappableFound(ctx context.Context, param, name, path string) error {
	if !ops.CallFrom(ctx).RefuseSwappable || path == "" {
		return nil
	}
	if msg := fsx.PathAnyoneMayWrite(path, "the program "+name+" (found through PATH)", programCould); msg != "" {
		return ops.WithClass(ops.ClassValidation, fmt.Errorf("%s: %s; name the program by a path no other user may write, or set PATH to directories only root and this user may write", param, msg))
	}
	return nil
}
