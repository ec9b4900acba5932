package remote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/shellword"
	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/capture"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/procenv"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/redact"
)

// Exec is the ssh.exec operation.
type Exec struct{ base }

var (
	_ ops.Op             = (*Exec)(nil)
	_ ops.ParamValidator = (*Exec)(nil)
)

// MaxExecTimeout bounds ssh.exec's timeout parameter.
const MaxExecTimeout = 7 * 24 * time.Hour

func execSpec() ops.Spec {
	return ops.Spec{
		Name:          "ssh.exec",
		StreamsOutput: true,
		Description: "Run a program on a remote host over SSH: an argv list, each argument quoted for the remote shell so it stays one argument, " +
			"or a script sent on stdin and run by sh -e. Fails when the exit code is not in ok_codes. " +
			"env is passed on stdin, never on a command line. With sudo, the program runs as sudo_user; sudo_password is sent only when sudo asks for it. " +
			"On timeout or cancel, the remote process group is sent SIGTERM, then SIGKILL; what the program left running in its group when it exits is sent SIGTERM. " +
			"The remote login shell must be a POSIX shell. stdout and stderr are captured up to 1 MiB each (head and tail kept).",
		Risk: ops.RiskWrite,
		Params: []ops.Param{
			hostParam(),
			{Name: "command", Type: ops.TypeList, Items: ops.TypeString, MaxLen: 4096, TypeHint: "or, to run it as a shell line, use script: instead",
				Description: "the program and its arguments, e.g. [systemctl, restart, nginx]; looked up in the remote PATH; exclusive with script"},
			{Name: "script", Type: ops.TypeString, MaxLen: 1 << 20, NoInterpolation: true,
				Fix:         "pass the value through env (env: {NAME: \"${{ expr }}\"}) and use \"$NAME\" in the script",
				Description: "a POSIX shell script, sent on stdin and run by sh -e (stops at the first failing command); exclusive with command"},
			{Name: "env", Type: ops.TypeMap, Description: "environment variables for the program (names of letters, digits and _); sent on stdin, so secrets stay off remote command lines"},
			{Name: "dir", Type: ops.TypeString, MaxLen: 4096, Description: "remote working directory; default the login directory"},
			{Name: "stdin", Type: ops.TypeString, MaxLen: 16 << 20, Description: "text written to the program's standard input; not with script"},
			{Name: "sudo", Type: ops.TypeBool, Default: false, Description: "run the program through sudo -S as sudo_user"},
			{Name: "sudo_user", Type: ops.TypeString, Default: "root", MaxLen: 64, Description: "the user sudo runs the program as"},
			{Name: "sudo_password", Type: ops.TypeString, Secret: true, MaxLen: 1024, Description: "the password sudo asks for, from a secret input; sent only when sudo prompts"},
			{Name: "timeout", Type: ops.TypeDuration, Max: ops.Bound(MaxExecTimeout.Seconds()),
				Description: "stop the remote program after this long (the step fails with class timeout); the step's own timeout stops it too"},
			{Name: "ok_codes", Type: ops.TypeList, Items: ops.TypeInteger, Default: []any{0}, MaxLen: 256,
				Description: "exit codes that count as success; a program killed by signal N exits with 128+N"},
			passphraseParam(),
		},
		Output: []ops.Field{
			{Name: "host", Type: "string", Description: "the host's inventory name, or the address as given"},
			{Name: "exit_code", Type: "integer", Description: "the exit code; 128+N when killed by signal N; -1 when it is not known (the connection was lost, or the session closed, before the program's end was seen)"},
			{Name: "stdout", Type: "string", Description: "standard output, as UTF-8 text with terminal escape sequences removed and secrets masked"},
			{Name: "stderr", Type: "string", Description: "standard error, likewise"},
			{Name: "truncated", Type: "bool", Description: "true when stdout or stderr was longer than the limit and its middle was cut"},
		},
	}
}

// ValidateParams checks what the schema cannot: command or script, exactly
// one; no NUL bytes; env names the remote shell can export; sudo settings
// only with sudo.
func (*Exec) ValidateParams(p ops.Params, final bool) error {
	var errs ops.ParamErrors
	add := func(param, format string, args ...any) {
		errs = append(errs, &ops.ParamError{Param: param, Msg: fmt.Sprintf(format, args...)})
	}
	checkHost(p, &errs)
	errs = append(errs, procenv.CheckCommand(p, "[systemctl, status, nginx]")...)
	_, hasScript := p["script"]
	if _, hasStdin := p["stdin"]; hasStdin && hasScript {
		add("stdin", "a script is sent on stdin; pass data to it through env instead")
	}
	for _, name := range []string{"script", "dir", "stdin"} {
		if p.Known(name) && strings.IndexByte(p.String(name), 0) >= 0 {
			add(name, "contains a NUL byte")
		}
	}
	if p.Known("script") && strings.TrimSpace(p.String("script")) == "" {
		add("script", "is empty")
	}
	if p.Known("env") {
		if _, err := procenv.List(p.Map("env")); err != nil {
			add("env", "%v", err)
		}
		for k := range p.Map("env") {
			if !shellword.IsName(k) {
				add("env", "%q cannot be exported by a POSIX shell; use letters, digits and _, not starting with a digit", k)
			}
		}
	}
	if p.Known("sudo_user") && !userNameRE.MatchString(p.String("sudo_user")) {
		add("sudo_user", "%q is not a valid user name", p.String("sudo_user"))
	}
	if p.Known("sudo_password") && strings.ContainsAny(p.String("sudo_password"), "\n\r\x00") {
		add("sudo_password", "contains a line break or NUL byte, which sudo cannot read")
	}
	if _, ok := p["sudo_password"]; ok && p.Known("sudo") && !p.Bool("sudo") {
		add("sudo_password", "is used only with sudo: true")
	}
	if p.Known("ok_codes") {
		for i, v := range p.List("ok_codes") {
			if n, ok := v.(int); v != ops.Deferred && (!ok || n < 0 || n > 255) {
				add("ok_codes", "item %d: %v is not an exit code (0..255)", i, v)
			}
		}
	}
	if p.Known("timeout") && p.Duration("timeout") <= 0 {
		add("timeout", "must be positive")
	}
	return errsOrNil(errs)
}

// timeoutError is the cause of a context ended by the timeout parameter.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string {
	return fmt.Sprintf("ssh.exec timeout of %s ran out", short.Duration(e.d))
}
func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// Execute runs the program and waits for it.
func (e *Exec) Execute(ctx context.Context, p ops.Params) (map[string]any, error) {
	env, err := procenv.List(p.Map("env"))
	if err != nil {
		return nil, ops.WithClass(ops.ClassValidation, &ops.ParamError{Param: "env", Msg: err.Error()})
	}
	var sudo *sudoOpts
	if p.Bool("sudo") {
		sudo = &sudoOpts{user: p.String("sudo_user"), password: p.String("sudo_password")}
	}
	var argv []string
	if p.Known("command") {
		argv = p.Strings("command")
	}
	cmd := newCommand(argv, p.String("script"), env, p.String("dir"), sudo, p.String("stdin"))
	pool, h, err := e.target(ctx, p)
	if err != nil {
		return nil, err
	}
	if d := p.Duration("timeout"); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d, &timeoutError{d})
		defer cancel()
	}
	cmd.mem = e.mem
	res, err := pool.run(ctx, h, authOpts{passphrase: p.String("key_passphrase")}, cmd)
	if res == nil {
		return nil, err
	}
	out := map[string]any{
		"host":      h.Name,
		"exit_code": res.code,
		"stdout":    res.stdout,
		"stderr":    res.stderr,
		"truncated": res.truncated,
	}
	if err != nil {
		return out, err
	}
	for _, v := range p.List("ok_codes") {
		if n, _ := v.(int); n == res.code {
			return out, nil
		}
	}
	msg := fmt.Sprintf("%s on %s: exit code %d is not in ok_codes %s", cmd.name, h.Name, res.code, ops.FlowList(p.List("ok_codes")))
	if res.signal != "" {
		msg = fmt.Sprintf("%s on %s: killed by SIG%s (exit code %d, not in ok_codes %s)", cmd.name, h.Name, res.signal, res.code, ops.FlowList(p.List("ok_codes")))
	}
	if tail := capture.LastLines(redact.Text(ops.CallFrom(ctx).Secrets, res.stderr), 5, 800); tail != "" {
		msg += "; stderr ends with:\n" + tail
	}
	return out, ops.WithClass(ops.ClassExecution, errors.New(msg))
}
