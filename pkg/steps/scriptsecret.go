package steps

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/shellword"
)

// scriptOps are the operations whose script parameter is shell text that
// sh or bash runs, on this host or over SSH on another.
var scriptOps = map[string]bool{"shell.exec": true, "ssh.exec": true}

// checkScripts warns, once all env variables are read, of a script that
// puts an env variable reading a secret input on the command line of a
// program it starts: "${{ }}" has no place in a script, but a script's
// "curl -u admin:$TOKEN" expands $TOKEN into curl's arguments, which any
// user of the host reads with ps while curl runs.
func (f *secretFlow) checkScripts(l *loader) {
	for _, s := range l.pb.AllSteps() {
		script, ok := scriptText(s)
		if !ok {
			continue
		}
		secret := map[string]string{} // env name -> what it is, naming the secret input it reads
		// The variable a secret input is read from is in the run's
		// environment, which the program inherits.
		for _, in := range l.pb.Inputs {
			if in.Secret && in.Env != "" {
				secret[in.Env] = fmt.Sprintf("the variable secret input %s is read from", in.Name)
			}
		}
		for _, e := range l.pb.Env {
			delete(secret, e.Name)
			f.noteSecretEnv(l, valueSource{env: e.Name}, e.Name, secret)
		}
		for _, e := range s.Env {
			delete(secret, e.Name)
			f.noteSecretEnv(l, valueSource{step: s, env: e.Name}, e.Name, secret)
		}
		if len(secret) == 0 {
			continue
		}
		name, prog, line := scriptArgvVar(script, secret)
		if name == "" {
			continue
		}
		l.d.Warn(s.ParamPos["script"], "the script of step %s expands $%s (%s) in the arguments of %s on line %d, which any user of the host can read with ps while it runs; hand the program the secret another way: on its stdin (printf '%%s' \"$%s\" | docker login --password-stdin …), in a file it reads, or in an environment variable it reads itself",
			s.ID, name, secret[name], prog, line, name)
	}
}

// noteSecretEnv records in secret env variable name of src when it reads
// a secret input, directly or through vars.
func (f *secretFlow) noteSecretEnv(l *loader, src valueSource, name string, secret map[string]string) {
	for _, in := range f.srcInputs[src] {
		if l.secretInput(in) {
			secret[name] = fmt.Sprintf("env.%s, which reads inputs.%s, a secret", name, in)
			return
		}
	}
	if in := f.throughVars(l, f.srcVars[src], l.secretInput); in != "" {
		secret[name] = fmt.Sprintf("env.%s, which reads inputs.%s, a secret", name, in)
	}
}

// scriptText is the literal script of step s when sh or bash runs it
// (shell absent or one of those names); ok is false otherwise.
func scriptText(s *Step) (script string, ok bool) {
	if !scriptOps[s.Op] || s.With == nil {
		return "", false
	}
	lit := func(k string) (any, bool) { return nil, false }
	switch s.With.Kind {
	case KindLiteral:
		m, _ := s.With.Lit.(map[string]any)
		lit = func(k string) (any, bool) { v, ok := m[k]; return v, ok }
	case KindMap:
		lit = func(k string) (any, bool) {
			for i, key := range s.With.Keys {
				if key == k {
					// An expression's Lit is nil: a shell it gives is
					// not known to be sh or bash.
					return s.With.Items[i].Lit, true
				}
			}
			return nil, false
		}
	}
	if sh, set := lit("shell"); set && sh != "sh" && sh != "bash" {
		return "", false
	}
	v, _ := lit("script")
	script, ok = v.(string)
	return script, ok
}

// noExec are the shell builtins and keywords that start no program: a
// secret in their words reaches no process's command line.
var noExec = map[string]bool{
	"echo": true, "printf": true, "test": true, "[": true, "[[": true, "export": true,
	"local": true, "readonly": true, "declare": true, "typeset": true, "read": true,
	"set": true, "unset": true, "cd": true, ":": true, "true": true, "false": true,
	"return": true, "exit": true, "shift": true, "case": true, "for": true, "select": true,
	"let": true, "((": true, "eval": true, "trap": true, "wait": true, "alias": true,
}

// keywords come before the command a simple command runs.
var keywords = map[string]bool{
	"if": true, "then": true, "else": true, "elif": true, "do": true, "while": true,
	"until": true, "!": true, "time": true, "{": true, "command": true, "exec": true,
	"nohup": true,
}

// scriptArgvVar finds the first of the env variables in secret that sh
// text script expands among the arguments of a program it starts: it
// returns the variable, the program and the line (from 1). A variable in
// an assignment, a redirection, a here-document (the program's stdin) or
// the words of a builtin such as echo or printf reaches no command line.
// It reads the shell's grammar roughly, to warn, not to judge: quotes,
// comments, line continuations and here-documents are followed; a
// command substitution is read as a command of its own.
func scriptArgvVar(script string, secret map[string]string) (name, prog string, line int) {
	lines := strings.Split(script, "\n")
	// A function the script defines runs in the shell: its arguments
	// reach no command line (what it does with them is not followed).
	funcs := map[string]bool{}
	for _, m := range funcDefRE.FindAllStringSubmatch(script, -1) {
		funcs[m[1]+m[2]] = true
	}
	var heredoc []string // the delimiters awaited, in order
	for i := 0; i < len(lines); i++ {
		first := i
		text := lines[i]
		if len(heredoc) > 0 {
			if strings.TrimLeft(text, "\t") == heredoc[0] {
				heredoc = heredoc[1:]
			}
			continue
		}
		for strings.HasSuffix(text, "\\") && i+1 < len(lines) {
			i++
			text = text[:len(text)-1] + " " + lines[i]
		}
		cmds, docs := shellCommands(text)
		heredoc = append(heredoc, docs...)
		for _, words := range cmds {
			if n, p := secretArg(words, secret, funcs); n != "" {
				return n, p, first + 1
			}
		}
	}
	return "", "", 0
}

// secretArg returns the secret variable one of words, a simple command,
// expands in the arguments of the program it runs, and that program.
func secretArg(words []string, secret map[string]string, funcs map[string]bool) (name, prog string) {
	for len(words) > 0 && (keywords[words[0]] || shellword.IsAssignment(words[0])) {
		words = words[1:]
	}
	if len(words) == 0 || noExec[words[0]] || funcs[words[0]] {
		return "", ""
	}
	for _, w := range words {
		if n := expands(w, secret); n != "" {
			return n, path.Base(words[0])
		}
	}
	return "", ""
}

// funcDefRE finds the name of each function a script defines: name() or
// function name.
var funcDefRE = regexp.MustCompile(`(?m)^\s*(?:function\s+([A-Za-z_]\w*)|([A-Za-z_]\w*)\s*\(\s*\))`)

// expands returns the variable of secret that word w expands ($NAME or
// ${NAME…}), outside single quotes; "" when none.
func expands(w string, secret map[string]string) string {
	quoted := false
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c == '\\' && !quoted:
			i++ // an escaped character expands nothing
		case c == '\x00':
			quoted = !quoted // shellCommands marks single quotes so
		case c == '$' && !quoted && i+1 < len(w):
			rest := w[i+1:]
			rest = strings.TrimPrefix(rest, "{")
			end := 0
			for end < len(rest) && (rest[end] == '_' || rest[end] >= 'A' && rest[end] <= 'Z' || rest[end] >= 'a' && rest[end] <= 'z' || end > 0 && rest[end] >= '0' && rest[end] <= '9') {
				end++
			}
			if _, ok := secret[rest[:end]]; ok && end > 0 {
				return rest[:end]
			}
		}
	}
	return ""
}

// shellCommands splits a line of sh text into simple commands, each as
// its words, and returns the delimiters of the here-documents it opens.
// Single-quoted text is kept between NUL marks (no expansion there);
// redirections and their targets are dropped; a comment ends the line.
func shellCommands(text string) (cmds [][]string, heredocs []string) {
	var words []string
	var word strings.Builder
	inWord, single, double, redirect := false, false, false, false
	endWord := func() {
		if inWord && !redirect {
			words = append(words, word.String())
		}
		word.Reset()
		inWord, redirect = false, false
	}
	endCmd := func() {
		endWord()
		if len(words) > 0 {
			cmds = append(cmds, words)
		}
		words = nil
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case single:
			if c == '\'' {
				single = false
				word.WriteByte(0)
			} else {
				word.WriteByte(c)
			}
		case c == '\\' && i+1 < len(text):
			word.WriteByte(c)
			word.WriteByte(text[i+1])
			inWord = true
			i++
		case double:
			if c == '"' {
				double = false
			} else {
				word.WriteByte(c)
			}
		case c == '\'':
			single, inWord = true, true
			word.WriteByte(0)
		case c == '"':
			double, inWord = true, true
		case c == '#' && !inWord:
			endCmd()
			return cmds, heredocs
		case c == ' ' || c == '\t':
			endWord()
		case c == '$' && i+1 < len(text) && text[i+1] == '(':
			// A command substitution's command is one of its own; what
			// it prints stays a word of this one, named by the marker.
			endCmd()
			i++
		case c == '`' || c == ';' || c == '|' || c == '&' || c == '(' || c == ')':
			endCmd()
		case c == '<' || c == '>':
			if strings.HasPrefix(text[i:], "<<") && !strings.HasPrefix(text[i:], "<<<") {
				j := i + 2
				if j < len(text) && text[j] == '-' {
					j++
				}
				for j < len(text) && text[j] == ' ' {
					j++
				}
				k := j
				for k < len(text) && !strings.ContainsRune(" \t;|&<>", rune(text[k])) {
					k++
				}
				if d := strings.Trim(text[j:k], `'"`); d != "" {
					heredocs = append(heredocs, d)
				}
				i = k - 1
				endWord()
				continue
			}
			// A redirection's target is a file name, not an argument.
			if word.Len() > 0 && strings.Trim(word.String(), "0123456789") != "" {
				endWord()
			}
			word.Reset()
			inWord, redirect = true, true
			for i+1 < len(text) && (text[i+1] == '>' || text[i+1] == '&' || text[i+1] == '<') {
				i++
			}
			for i+1 < len(text) && text[i+1] == ' ' {
				i++
			}
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	endCmd()
	return cmds, heredocs
}
