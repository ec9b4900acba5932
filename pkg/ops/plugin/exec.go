package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/arsenal-run/arsenal-run/internal/jsonx"
	runredact "github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/capture"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/outhold"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/outpipe"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/procgroup"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/procres"
	"github.com/arsenal-run/arsenal-run/pkg/ops/shell"
)

var printer = message.NewPrinter(language.English)

// request is what a plugin reads on stdin.
type request struct {
	Params map[string]any `json:"params"`
	Run    runInfo        `json:"run"`
}

type runInfo struct {
	ID       string `json:"id"`
	Step     string `json:"step"`
	Playbook string `json:"playbook"`
}

// Execute runs the plugin's program: the request as one line of JSON on stdin, one JSON
// object expected on stdout. The program runs in the manifest's directory,
// in its own process group, with only the environment variables the
// manifest allows (taken from the run's environment), and within the
// manifest's timeout and the step's. stdout and stderr are capped like
// shell.exec's; stderr lines are shown live and the last ones explain a
// failure. Every failure of the protocol is an execution error that names
// the plugin.
func (p *Plugin) Execute(ctx context.Context, params ops.Params) (map[string]any, error) {
	call := ops.CallFrom(ctx)
	in, err := json.Marshal(request{Params: plainParams(params), Run: runInfo{ID: call.RunID, Step: call.Step, Playbook: call.Playbook}})
	if err != nil {
		return nil, ops.Errorf(ops.ClassValidation, "plugin %s: the params cannot be sent as JSON: %v", p.m.Name, err)
	}
	// One line, newline included: a shell's read -r fails at an end of
	// input without one, which stops a set -e script without a word.
	in = append(in, '\n')
	ctx, cancel := context.WithTimeoutCause(ctx, p.m.Timeout,
		ops.Errorf(ops.ClassTimeout, "plugin %s ran longer than its timeout of %s and was stopped; if it needs longer, raise timeout: in %s", p.m.Name, short.Duration(p.m.Timeout), filepath.Base(p.m.File)))
	defer cancel()
	mask := p.masker(call, params)
	res, err := p.run(ctx, call, in, mask)
	if res != nil {
		defer res.release()
	}
	if err == nil {
		var out map[string]any
		if out, err = p.result(res); err == nil {
			// The program got its secret params in clear and may echo
			// them in its answer, which goes to outputs, the report and
			// the cache; the run masks its own secrets there, not these.
			if r := p.secretParams(params); r != nil {
				out, _ = r.Value(out).(map[string]any)
			}
			return out, nil
		}
	}
	if mask != nil {
		// Its stderr's end, its stdout's start or its own error object
		// may quote a secret.
		if text := err.Error(); mask(text) != text {
			err = ops.WithClass(ops.ClassOf(err), errors.New(mask(text)))
		}
	}
	return nil, err
}

// masker masks the run's secrets and the values of the params the
// manifest declares writeOnly (which the program gets in clear and may
// print), each leaf of an object or list, in their JSON and other
// encoded forms too, in the program's stderr, shown live and quoted in
// errors. A boolean is not masked: every "true" would be. Nil when there
// is nothing to mask.
func (p *Plugin) masker(call *ops.Call, params ops.Params) func(string) string {
	r := runredact.New(call.Secrets...)
	p.addSecretParams(r, params)
	if r.Empty() {
		return nil
	}
	return r.String
}

// secretParams masks the values of the params the manifest declares
// writeOnly, as masker does; nil when there are none.
func (p *Plugin) secretParams(params ops.Params) *runredact.Redactor {
	r := runredact.New()
	p.addSecretParams(r, params)
	if r.Empty() {
		return nil
	}
	return r
}

func (p *Plugin) addSecretParams(r *runredact.Redactor, params ops.Params) {
	for _, pr := range p.spec.Params {
		if pr.Secret {
			r.AddValueButBools(plain(params[pr.Name]))
		}
	}
}

// outcome is what the program left.
type outcome struct {
	stdout, stderr *capture.Buffer
	limit          int
	code           int
	signal         string
	resources      *ops.Resources
	mask           func(string) string // nil: nothing to mask
	held           *outhold.Streams    // the output memory the streams hold, until release
}

// release gives back the output memory o's streams hold.
func (o *outcome) release() { o.held.Release() }

// run runs the program. The outcome holds its streams in the output
// memory until its release.
func (p *Plugin) run(ctx context.Context, call *ops.Call, in []byte, mask func(string) string) (res *outcome, err error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	// A new version of the program needs no restart, so what was judged
	// at load may have changed since: judged again before each start.
	if err := policy.SwappableCommand("command", p.m.Command, filepath.Dir(p.m.File)); err != nil {
		return nil, ops.WithClass(ops.ClassOf(err), fmt.Errorf("plugin %s: %w", p.m.Name, err))
	}
	// The run's env files' variables among those its manifest passes on.
	passed := func(name string) bool { return slices.Contains(p.m.Env, name) }
	if err := policy.SwappableFileEnv(ctx, passed, filepath.Dir(p.m.File)); err != nil {
		return nil, ops.WithClass(ops.ClassOf(err), fmt.Errorf("plugin %s: %w", p.m.Name, err))
	}
	limit := p.opt.OutputLimit
	if limit <= 0 {
		limit = capture.DefaultLimit
	}
	// Its stdout and stderr are held in the process's output memory as
	// they come, as a shell step's are, until its answer is read.
	held, err := outhold.Hold(ctx, p.mem, limit, func() string { return fmt.Sprintf("plugin %s (output limit %d)", p.m.Name, limit) })
	if err != nil {
		return nil, err
	}
	o := &outcome{stdout: held.Buffer(limit), stderr: held.Buffer(limit), limit: limit, mask: mask, held: held}
	defer func() {
		if res == nil {
			held.Release()
		}
	}()
	// The program dies with arsenal-run, as a shell step's does: with
	// this thread (kept until it is reaped), and its group by the
	// watchdog.
	defer shell.LockThread()()
	cmd := &exec.Cmd{
		Path:        p.m.Command[0],
		Args:        p.m.Command,
		Dir:         filepath.Dir(p.m.File),
		Env:         allowed(ops.Environ(ctx), p.m.Env),
		Stdin:       bytes.NewReader(in),
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
		// Bounds the copy of the request to stdin alone (stdout and
		// stderr are the pipes below): a process that left the group
		// (setsid) and holds stdin unread does not hold the step.
		WaitDelay: p.waitDelay(),
	}
	shell.SetPdeathsig(cmd.SysProcAttr)
	var stderr io.Writer = o.stderr
	var live *capture.LineWriter
	if w := call.ErrOutput; w != nil || call.Output != nil {
		if w == nil {
			w = call.Output
		}
		live = capture.NewLineWriter(w, nil, mask)
		stderr = io.MultiWriter(o.stderr, live)
	}
	// Pipes of its own: os/exec's drop what the writers have not read
	// within a fixed delay after the exit, the last lines first.
	pipes, err := outpipe.NewPair()
	if err != nil {
		return nil, ops.Errorf(ops.ClassExecution, "plugin %s: starting it: %v", p.m.Name, err)
	}
	defer pipes.Abandon()
	cmd.Stdout, cmd.Stderr = pipes[0].W, pipes[1].W
	if err := cmd.Start(); err != nil {
		return nil, ops.Errorf(ops.ClassExecution, "plugin %s: %s", p.m.Name, startProblem(p.m.Command[0], err))
	}
	pipes.Start(o.stdout, stderr)
	g := procgroup.New(cmd.Process.Pid, syscall.SIGTERM, p.grace())
	defer shell.WatchGroup(g.PGID())()
	stop := context.AfterFunc(ctx, g.Terminate)
	exited := procgroup.WaitExited(cmd.Process.Pid)
	stop()
	if exited {
		g.Finish() // the leader is a zombie: its group id cannot be reused yet
	}
	werr := cmd.Wait()
	if !exited {
		g.Finish()
	}
	perr := pipes.Wait(p.waitDelay())
	if live != nil {
		live.Flush()
	}
	state := cmd.ProcessState
	if state == nil {
		return nil, ops.Errorf(ops.ClassExecution, "plugin %s: waiting for it: %v", p.m.Name, werr)
	}
	if r, ok := procres.Of(state); ok {
		o.resources = &r
		o.signal = r.Signal
	}
	o.code = state.ExitCode()
	if g.WasTerminated() {
		cause := context.Cause(ctx)
		return nil, ops.WithClass(ops.ClassOf(cause), fmt.Errorf("%w%s", cause, p.stderrTail(o)))
	}
	if perr != nil {
		return nil, ops.Errorf(ops.ClassExecution, "plugin %s: reading its output: %v", p.m.Name, perr)
	}
	return o, nil
}

// result reads the program's answer: on exit 0 one JSON object, checked
// against the output schema; otherwise its error object, or an error made
// from the exit status and the end of stderr.
func (p *Plugin) result(o *outcome) (map[string]any, error) {
	name := p.m.Name
	if o.signal != "" {
		return nil, ops.Errorf(ops.ClassExecution, "plugin %s was killed by %s%s", name, o.signal, p.stderrTail(o))
	}
	if o.stdout.Truncated() {
		return nil, ops.Errorf(ops.ClassExecution, "plugin %s wrote more than %d bytes to stdout, the output limit; it must print one JSON object", name, o.limit)
	}
	raw := bytes.TrimSpace(o.stdout.Bytes())
	if len(raw) > 0 {
		// Its answer, or its error object, is decoded below.
		if err := p.holdAnswer(o, raw); err != nil {
			return nil, err
		}
	}
	if o.code != 0 {
		if perr := pluginError(raw); perr != nil {
			return nil, ops.Errorf(perr.class, "plugin %s: %s", name, perr.message)
		}
		if out, err := decodeObject(raw); err == nil && out["error"] != nil {
			// It meant to fail, and wrote its error in another shape.
			return nil, ops.Errorf(ops.ClassExecution, `plugin %s exited with code %d and an error object with no message; write it {"error": {"class": "execution", "message": "…"}}; %s%s`, name, o.code, p.stdoutStart(raw, o.mask), p.stderrTail(o))
		}
		if len(raw) == 0 && strings.TrimSpace(o.held.Text(o.stderr)) == "" {
			return nil, ops.Errorf(ops.ClassExecution, `plugin %s exited with code %d and printed nothing, on stdout or stderr; to say why it fails, print {"error": {"class": "execution", "message": "…"}} on stdout`, name, o.code)
		}
		printed := ""
		if len(raw) > 0 {
			// An answer with a non-zero exit: it is not taken, and the
			// author is told what it was and which of the two to fix.
			printed = "; " + p.stdoutStart(raw, o.mask) + `; exit 0 with an answer, or non-zero with {"error": {"class": …, "message": …}}`
		}
		return nil, ops.Errorf(ops.ClassExecution, "plugin %s exited with code %d without an error object on stdout%s%s%s", name, o.code, printed, p.noPathHint(o.code), p.stderrTail(o))
	}
	if len(raw) == 0 {
		return nil, ops.Errorf(ops.ClassExecution, "plugin %s printed nothing on stdout; it must print one JSON object%s", name, p.stderrTail(o))
	}
	out, err := decodeObject(raw)
	if err != nil {
		return nil, ops.Errorf(ops.ClassExecution, "plugin %s printed %v; %s", name, err, p.stdoutStart(raw, o.mask))
	}
	if p.errorAnswer(out) {
		// The program meant to fail and forgot the exit code: its error
		// taken for an answer would make the step succeed.
		if perr := pluginError(raw); perr != nil {
			return nil, ops.Errorf(perr.class, "plugin %s: %s (it printed an error object but exited with code 0; a plugin that fails must exit non-zero)", name, perr.message)
		}
		return nil, ops.Errorf(ops.ClassExecution, `plugin %s exited with code 0 and an error object with no message; to fail, exit non-zero with {"error": {"class": "execution", "message": "…"}}; %s%s`, name, p.stdoutStart(raw, o.mask), p.stderrTail(o))
	}
	if p.output != nil {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err == nil {
			err = p.output.Validate(doc)
		}
		if err != nil {
			// No output: the schema is what the steps after this one rely
			// on, and a step that goes on after a failure (continue_on_error,
			// a handler) must not read values of the wrong shape. The error
			// says what was wrong, and stdout starts with what was printed.
			return nil, ops.Errorf(ops.ClassExecution, "plugin %s: its output does not match the output schema of %s: %s; %s", name, filepath.Base(p.m.File), outputProblems(err), p.stdoutStart(raw, o.mask))
		}
	}
	if _, taken := out[ops.ResourcesKey]; !taken && o.resources != nil {
		out[ops.ResourcesKey] = o.resources.Map()
	}
	return out, nil
}

// noPathHint explains an exit code 127, a shell's "command not found",
// when the program gets no PATH: the commands its author runs by name
// from a terminal are not found under the run. "" otherwise.
func (p *Plugin) noPathHint(code int) string {
	if code != 127 || slices.Contains(p.m.Env, "PATH") {
		return ""
	}
	return fmt.Sprintf("; code 127 is a shell's \"command not found\", and the program gets no PATH unless %s lists it: add PATH to its env:, or name the command by its full path", filepath.Base(p.m.File))
}

type errorObject struct {
	class   ops.Class
	message string
}

// pluginError reads {"error": {"class", "message"}}; a class that is not
// one of arsenal-run's becomes execution.
func pluginError(raw []byte) *errorObject {
	var v struct {
		Error *struct {
			Class   string `json:"class"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil || v.Error == nil || strings.TrimSpace(v.Error.Message) == "" {
		return nil
	}
	class := ops.Class(v.Error.Class)
	switch class {
	case ops.ClassValidation, ops.ClassExecution, ops.ClassTimeout, ops.ClassAuthorization:
	default:
		class = ops.ClassExecution
	}
	return &errorObject{class: class, message: v.Error.Message}
}

// errorAnswer reports whether an answer is an error and nothing else,
// {"error": …}; not when the output schema declares an error field,
// which the answer then is.
func (p *Plugin) errorAnswer(out map[string]any) bool {
	if out["error"] == nil || len(out) != 1 {
		return false
	}
	props, _ := p.m.Output["properties"].(map[string]any)
	return props["error"] == nil
}

// decodeObject reads exactly one JSON object; whole numbers come back as
// int, others as float64.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON on stdout (%v)", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value on stdout; it must print one JSON object")
	}
	m, ok := jsonx.Numbers(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a JSON %s on stdout, not an object", jsonKind(v))
	}
	return m, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "value"
}

// stdoutStart quotes the start of what the plugin printed, for an answer
// it could not use; not when the plugin declares secret outputs, whose
// values an answer that failed never marked secret.
func (p *Plugin) stdoutStart(raw []byte, mask func(string) string) string {
	if len(p.spec.SecretOutputs) > 0 {
		return "stdout is not quoted, as the plugin declares secret outputs (" + strings.Join(p.spec.SecretOutputs, ", ") + ")"
	}
	return fmt.Sprintf("stdout starts with %q", head(raw, mask))
}

// head is the start of b, masked before it is cut: masked after, a secret
// crossing the cut would keep its head in clear.
func head(b []byte, mask func(string) string) string {
	s := capture.Text(b)
	if mask != nil {
		s = mask(s)
	}
	if r := []rune(s); len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return s
}

func (p *Plugin) stderrTail(o *outcome) string {
	s := o.held.Text(o.stderr)
	if o.mask != nil {
		s = o.mask(s) // before the cut, as in head
	}
	if tail := capture.LastLines(s, 5, 800); tail != "" {
		return "; stderr ends with:\n" + tail
	}
	return ""
}

func outputProblems(err error) string {
	var parts []string
	for _, pe := range schemaErrors(err) {
		msg := strings.TrimPrefix(pe.Msg, "does not match the plugin's params schema: ")
		if pe.Param != "" {
			msg = pe.Param + ": " + strings.TrimPrefix(msg, "at ")
		}
		parts = append(parts, msg)
	}
	return strings.Join(parts, "; ")
}

// allowed picks the allow-listed variables of env.
func allowed(env []string, names []string) []string {
	out := []string{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		for _, n := range names {
			if k == n {
				out = append(out, kv)
			}
		}
	}
	return out
}

func (p *Plugin) grace() time.Duration {
	if p.opt.KillGrace > 0 {
		return p.opt.KillGrace
	}
	return 2 * time.Second
}

func (p *Plugin) waitDelay() time.Duration {
	if p.opt.WaitDelay > 0 {
		return p.opt.WaitDelay
	}
	return time.Second
}
