package steps

import (
	"fmt"
	"slices"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// argvOps are the operations whose command parameter is the argv of a
// program they start, on this host or over SSH on another.
var argvOps = map[string]bool{"shell.exec": true, "process.start": true, "ssh.exec": true}

// markArgv marks the expressions of step s's parameter p (pending[from:])
// when p is the command line of a program the step starts.
func (l *loader) markArgv(p *ops.Param, s *Step, from int) {
	if p.Name != "command" || !argvOps[s.Op] {
		return
	}
	for _, pe := range l.pending[from:] {
		pe.argv = s
	}
}

// checkSecretArgv warns of a secret input on a program's command line:
// the run masks it in everything it writes, but while the program runs
// any user of its host reads its arguments with ps (/proc/PID/cmdline),
// and the environment only the program's own user.
func (l *loader) checkSecretArgv(pe *pendingExpr, name string, pos Pos) {
	if pe.argv == nil {
		return
	}
	if l.secretInput(name) {
		l.warnArgv(pe, pos, "inputs."+name+", a secret,", "inputs."+name)
	}
}

// checkSecretArgvOutput warns of steps.<id>.output.<field> on a
// program's command line when the operation of step t marks field secret.
func (l *loader) checkSecretArgvOutput(pe *pendingExpr, t *Step, field string, pos Pos) {
	if pe.argv == nil || t == nil || t.Entry == nil || !slices.Contains(t.Entry.Spec.SecretOutputs, field) {
		return
	}
	ref := fmt.Sprintf("steps.%s.output.%s", t.ID, field)
	l.warnArgv(pe, pos, fmt.Sprintf("%s, a secret output of %s,", ref, t.Op), ref)
}

// checkArgvVars warns, once all vars are read, of each var, env
// variable and fan-out item on a program's command line that reads a
// secret input, directly or through vars.
func (f *secretFlow) checkArgvVars(l *loader) {
	for _, u := range f.argvVars {
		if in := f.throughVars(l, []string{u.v}, l.secretInput); in != "" {
			l.warnArgv(u.pe, u.pos, fmt.Sprintf("vars.%s, which reads inputs.%s, a secret,", u.v, in), "vars."+u.v)
		}
	}
	for _, u := range f.argvSrcs {
		src, what := f.source(u.pe.argv, u)
		in := ""
		for _, i := range f.srcInputs[src] {
			if l.secretInput(i) {
				in = i
				break
			}
		}
		if in == "" {
			in = f.throughVars(l, f.srcVars[src], l.secretInput)
		}
		if in == "" {
			continue
		}
		what = fmt.Sprintf("%s, which reads inputs.%s, a secret,", what, in)
		if u.kind == "env" {
			// The program has the variable in its environment already.
			l.d.Warn(u.pos, "%s goes on the command line of step %s's program, which any user of the host can read with ps while it runs; read $%s in the program instead of ${{ env.%s }}", what, u.pe.argv.ID, u.name, u.name)
			continue
		}
		l.warnArgv(u.pe, u.pos, what, u.kind)
	}
}

// warnArgv warns that what, the value of expression ref, goes on the
// command line of the program of pe's step.
func (l *loader) warnArgv(pe *pendingExpr, pos Pos, what, ref string) {
	l.d.Warn(pos, "%s goes on the command line of step %s's program, which any user of the host can read with ps while it runs; give it in the step's env: (env: {TOKEN: \"${{ %s }}\"}) and read $TOKEN in the program", what, pe.argv.ID, ref)
}

// secretInput reports whether the playbook declares input name secret.
func (l *loader) secretInput(name string) bool {
	for _, in := range l.pb.Inputs {
		if in.Name == name {
			return in.Secret
		}
	}
	return false
}
