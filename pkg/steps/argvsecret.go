package steps

import "github.com/arsenal-run/arsenal-run/pkg/ops"

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
	for _, in := range l.pb.Inputs {
		if in.Name == name && in.Secret {
			l.d.Warn(pos, "inputs.%s, a secret, goes on the command line of step %s's program, which any user of the host can read with ps while it runs; give it in the step's env: (env: {TOKEN: \"${{ inputs.%s }}\"}) and read $TOKEN in the program", name, pe.argv.ID, name)
			return
		}
	}
}
