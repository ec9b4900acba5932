package cli

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/jsonx"
	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

func remoteCommand() *command {
	return &command{
		name:    "remote",
		summary: "call an arsenal-run server: list and execute operations, run and follow playbooks",
		synopsis: `remote --server URL [--key-env VAR] [--ca F --cert F --key F] [--log-format console|json] ops list [--category C]
remote --server URL exec OP [--param k=v]... [--timeout D]
remote --server URL run NAME [--input k=v]... [--dry-run] [--wait] [--follow] [--yes]
remote --server URL runs [--playbook P] [--status S] [--since D] [--limit N]
remote --server URL cancel ID`,
		help: `Call the REST API of 'arsenal-run serve' (docs/server.md), so that a CI job or a
chat bot can run an operation or a runbook on a host without shell access to it.
The key is read from the environment variable named by --key-env (default
ARSENAL_API_KEY), never from the command line. --server defaults to
$ARSENAL_SERVER. Values of --param are JSON when they parse as JSON (numbers,
true, lists), else strings. Values of --input are converted to the type the
playbook declares for the input, as 'run' converts them (who=123 is text for a
string input); an input it does not declare goes as JSON or string, for the
server to name. 'run --follow' shows the run's events as 'run' does and exits
with the run's exit code; 'run --wait' only waits. On a terminal, 'run --follow'
asks the run's confirm: questions there; 'run --yes' answers yes to each.`,
		exits: "0 ok (the run succeeded); 1 the operation or run failed, or the server could not be reached; 2 bad usage, a --server scheme the server does not speak (https:// for plain HTTP, or the reverse) or that redirects elsewhere, or a request the server refused as invalid (400, 404, 409, 413; not a cancel of a run being cancelled already, 0); 3 authentication or authorization refused (401, 403); 130/143/129 for a followed run cancelled by SIGINT/SIGTERM/SIGHUP, or a second such signal.",
		run:   runRemote,
	}
}

type remoteOptions struct {
	server, keyEnv, ca, cert, key string
	category, timeout             string
	params, inputs                multiFlag
	wait, follow, dryRun, yes     bool
	playbook, status              string
	limit                         int
	since                         durationFlag
	logFormat                     string
}

// remote is one client command.
type remote struct {
	e    *env
	c    *command
	o    remoteOptions
	base *url.URL
	key  string
	http *http.Client
	// certs is what the TLS handshakes told of the client certificate,
	// leaf that certificate.
	certs certState
	leaf  *x509.Certificate
	// fromEnv: the server's URL is $ARSENAL_SERVER's, not --server's.
	fromEnv bool
	// proxied is the *url.URL of the proxy the requests go through.
	proxied atomic.Value
	// opWait is how long the server may take before it answers: the
	// timeout of an execute, which answers once its operation ended.
	opWait time.Duration
}

func runRemote(e *env, args []string) int {
	c := remoteCommand()
	fs := newFlags(e, c)
	o := remoteOptions{since: durationFlag{name: "since"}}
	fs.StringVar(&o.server, "server", "", "the server's base `URL`, like https://runner.internal:8080 (default $ARSENAL_SERVER)")
	fs.StringVar(&o.keyEnv, "key-env", "ARSENAL_API_KEY", "read the API key from the environment variable `VAR`")
	fs.StringVar(&o.ca, "ca", "", "trust the server certificates signed by the CA in `FILE`")
	fs.StringVar(&o.cert, "cert", "", "present the client certificate `FILE` (mutual TLS)")
	fs.StringVar(&o.key, "key", "", "the private key `FILE` of --cert")
	fs.StringVar(&o.category, "category", "", "ops list: only operations of category `C`")
	fs.StringVar(&o.timeout, "timeout", "", "exec: the operation's timeout `D`, like 30s")
	fs.Var(&o.params, "param", "exec: set param `k=v` (repeatable)")
	fs.Var(&o.inputs, "input", "run: set input `k=v` (repeatable)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "run: evaluate everything but execute only read operations")
	fs.BoolVar(&o.wait, "wait", false, "run: wait for the run to end and print its report")
	fs.BoolVar(&o.follow, "follow", false, "run: show the run's events as they happen, then its report; on a terminal, ask its confirm: questions")
	fs.BoolVar(&o.yes, "yes", false, "run: answer yes to every confirm: question (needed without a terminal); waits for the run's end")
	fs.StringVar(&o.playbook, "playbook", "", "runs: only runs of playbook `P`")
	fs.StringVar(&o.status, "status", "", "runs: only runs with status `S`, in any case")
	fs.Var(&o.since, "since", "runs: only runs started within `D` (24h, 2d) or since an RFC 3339 time")
	fs.IntVar(&o.limit, "limit", 0, "runs: at most `N` runs, 1 to 1000 (default the server's, 50)")
	addRemoteLogFlag(e, fs, &o)
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if code, ok := checkLogFlags(fs, &o.logFormat, new(string)); !ok {
		return code
	}
	e.logJSON = o.logFormat == "json"
	// The subcommand is judged first: a typo in it is the mistake to
	// tell, not a server yet to give or a warning about it.
	if what := remoteSubUsage(fs, pos, args); what != "" {
		return fs.usageError("%s", what)
	}
	fromEnv := false
	if o.server == "" {
		o.server, fromEnv = e.getenv("ARSENAL_SERVER"), true
	}
	if o.server == "" {
		return fs.usageError("give the server with --server URL or $ARSENAL_SERVER")
	}
	base, err := serverURL(o.server, fromEnv)
	if err != nil {
		return fs.usageError("%v", err)
	}
	if base.Scheme == "http" {
		// TLS flags with plain HTTP are a URL mistyped: the key, and
		// what the certificate was to protect, would go in clear.
		var tlsFlags []string
		for _, f := range []string{"ca", "cert", "key"} {
			if fs.given(f) {
				tlsFlags = append(tlsFlags, "--"+f)
			}
		}
		if len(tlsFlags) > 0 {
			are := "are"
			if len(tlsFlags) == 1 {
				are = "is"
			}
			return fs.usageError("%s %s for TLS, but --server %q is plain HTTP, which would send the API key in clear: give the server's https:// URL", strings.Join(tlsFlags, ", "), are, o.server)
		}
	}
	if !envNameRE.MatchString(o.keyEnv) || strings.HasPrefix(o.keyEnv, "ak_") {
		// Most likely the key itself, typed where its variable's name
		// goes: it is not repeated, so that it stays out of logs.
		return fs.usageError("--key-env takes the name of an environment variable that holds the key, such as ARSENAL_API_KEY, not the key itself (if that was the key, it is now in your shell history: consider replacing it)")
	}
	if fs.given("limit") && (o.limit < 1 || o.limit > maxRemoteLimit) {
		return fs.usageError("--limit must be 1 to %d (the most the server lists at once), not %d", maxRemoteLimit, o.limit)
	}
	// Any case, as 'history' takes them: the server's names are all
	// lower case.
	o.status = strings.ToLower(o.status)
	if strings.Contains(o.status, ",") {
		// The server filters by one status; 'history' merges several.
		return fs.usageError("--status %q: the server lists one status at a time; run 'remote runs' once for each (--status %s), or 'history --status %s' where the history is", o.status, strings.Split(o.status, ",")[0], o.status)
	}
	// A key pasted into a CI secret often ends in a newline (echo), which
	// no key holds and no header may carry.
	key := strings.TrimSpace(e.getenv(o.keyEnv))
	if fs.given("key-env") && key == "" {
		// Named on purpose: without its key every request would only be
		// refused (401). Without --key-env, no key is fine: a client
		// certificate may be all the server asks for.
		return fs.usageError("--key-env %s: the variable is unset or empty; export the API key in it, or leave --key-env out", o.keyEnv)
	}
	if base.Scheme == "http" && key != "" && !loopbackHost(base.Hostname()) {
		e.errorf("warning: plain HTTP to %s, which is not loopback: the API key crosses the network in clear; give the server's https:// URL", base.Host)
	}
	r := &remote{e: e, c: c, o: o, base: base, key: key, fromEnv: fromEnv}
	if pos[0] == "exec" {
		r.opWait = opWait(o.timeout)
	}
	if r.http, err = r.client(); err != nil {
		return fs.usageError("%v", err)
	}
	switch pos[0] { // as remoteSubUsage let through
	case "ops":
		return r.opsList()
	case "exec":
		return r.exec(pos[1])
	case "run":
		return r.run(pos[1])
	case "runs":
		return r.runs()
	case "cancel":
		return r.cancel(pos[1])
	}
	return fs.usageError("unknown subcommand %q; give ops list, exec OP, run NAME, runs or cancel ID", pos[0])
}

// apiError is an error answer of the server.
type apiError struct {
	status int
	Class  string `json:"class"`
	Msg    string `json:"message"`
	Rule   string `json:"rule"`
	Field  string `json:"field"`
	Reason string `json:"reason"` // why a 409: "being_cancelled", "ended"
}

// Error is the server's error as a terminal shows it: what the server
// (or whatever answers at its address) sent is cleaned of terminal
// controls first.
func (a *apiError) Error() string {
	msg := fmt.Sprintf("%d %s: %s", a.status, termtext.Clean(a.Class), termtext.Clean(a.Msg))
	if a.Field != "" {
		msg += " (field " + termtext.Line(a.Field) + ")"
	}
	if a.Rule != "" && !strings.Contains(a.Msg, a.Rule) {
		// A denial's message often is its rule ("no rule of role viewer
		// allows ..."): it is said once.
		msg += " (rule: " + termtext.Line(a.Rule) + ")"
	}
	return msg
}

// call sends a request with the key and decodes a JSON answer into out.
// An error answer comes back as *apiError.
func (r *remote) call(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base.String()+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	res, err := r.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode >= 300 {
		return res.StatusCode, r.answerError(res, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			if !json.Valid(data) {
				return res.StatusCode, errors.New(r.foreign(res, summary(res, data)))
			}
			return res.StatusCode, fmt.Errorf("the server's answer is not what was expected: %v", err)
		}
	}
	return res.StatusCode, nil
}

// errorText prints err after head as an error line, the lines of a
// message that runs over several (the server's, which may end with what
// a program printed) indented under it and, on a terminal, wrapped, as
// exec indents an operation's stderr: none can pass for a line of the
// tool's own.
func (r *remote) errorText(head string, err error) {
	if r.e.logJSON {
		r.e.errorLine(head + err.Error())
		return
	}
	io.WriteString(r.e.stderr, termtext.Indent(program+": "+head, err.Error(), "  ", termWidth(r.e.stderr)))
}

// fail prints an error and returns its exit code.
func (r *remote) fail(err error) int {
	r.errorText(r.base.Host+": ", err)
	var ae *apiError
	if !errors.As(err, &ae) {
		var ne net.Error
		if !r.certHint(err) && !r.connHint(err) && errors.As(err, &ne) && ne.Timeout() {
			r.e.errorf("the server did not answer in time: check that it runs (not stopped, not overloaded) and that %s reaches it", r.base.Host)
		}
		if errors.Is(err, http.ErrSchemeMismatch) {
			return ExitUsage // the URL is wrong, and trying again will not help
		}
		return ExitFailed
	}
	if httpsOnly(ae) {
		r.e.errorf("%s speaks HTTPS, not plain HTTP: give %s https://%s (with --ca FILE if its certificate is not signed by a CA this machine trusts)", r.base.Host, r.serverFrom(), r.base.Host)
	}
	if ae.Class == classRedirect {
		return ExitUsage // the URL is wrong, and trying again will not help
	}
	if ae.status == http.StatusNotFound && r.base.Path != "" && (ae.Class == classForeign || strings.HasPrefix(ae.Msg, "no endpoint ")) {
		// The API's own path (/api/v1) or the console's page pasted
		// into --server: each request's path is added to it.
		r.e.errorf("%s has the path %s, which every request's path is added to: give %s %s://%s, with a path only for the prefix of a proxy in front of serve", r.serverFrom(), r.base.Path, r.serverFrom(), r.base.Scheme, r.base.Host)
	}
	switch ae.status {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusConflict:
		return ExitUsage
	case http.StatusUnauthorized, http.StatusForbidden:
		if ae.status == http.StatusUnauthorized && r.key == "" && !r.certHint(err) {
			r.e.errorf("no key: set $%s", r.o.keyEnv)
		}
		return ExitDenied
	}
	return ExitFailed
}

func (r *remote) opsList() int {
	path := "/api/v1/operations"
	if r.o.category != "" {
		path += "/" + url.PathEscape(r.o.category)
	}
	var out struct {
		Operations []struct {
			Name, Risk, Description string
		} `json:"operations"`
	}
	if _, err := r.call(context.Background(), "GET", path, nil, &out); err != nil {
		return r.fail(err)
	}
	t := &table{header: []string{"NAME", "RISK", "DESCRIPTION"}}
	for _, o := range out.Operations {
		t.add(o.Name, o.Risk, firstSentence(o.Description))
	}
	t.write(r.e.stdout, r.e.paletteFor(r.e.stdout))
	return ExitOK
}

// values turns k=v flags into typed values: a name in declared by its
// type, as run reads an input; any other JSON when v parses as JSON, else
// the string (an input the playbook does not declare goes so, for the
// server to name).
func values(flag string, kvs []string, declared map[string]*steps.Input) (map[string]any, error) {
	out, given := map[string]any{}, map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s %q: write it as name=value", flag, kv)
		}
		if old, twice := given[k]; twice && old != v {
			return nil, fmt.Errorf("--%s %s is given twice, with different values: give it once", flag, k)
		}
		given[k] = v
		if in := declared[k]; in != nil {
			x, err := in.Parse(v)
			if err != nil && in.Secret { // its text is never quoted
				return nil, fmt.Errorf("--%s %s: %s", flag, k, in.SecretMismatch())
			}
			if err != nil {
				return nil, fmt.Errorf("--%s %s: %v", flag, k, err)
			}
			out[k] = x
			continue
		}
		if x, err := jsonx.Decode([]byte(v)); err == nil { // numbers sent on as written
			out[k] = x
		} else {
			out[k] = v
		}
	}
	return out, nil
}

func (r *remote) exec(op string) int {
	params, err := values("param", r.o.params, nil)
	if err != nil {
		return usageError(r.e, r.c, "%v", err)
	}
	body := map[string]any{"params": params}
	if r.o.timeout != "" {
		body["timeout"] = r.o.timeout
	}
	// The result is printed as the server sent it: decoded into a map, a
	// whole number past 2^53 would be rounded through a float64.
	var out struct {
		Result json.RawMessage `json:"result"`
	}
	if _, err := r.call(context.Background(), "POST", "/api/v1/operations/"+url.PathEscape(op)+"/execute", body, &out); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.status == http.StatusUnprocessableEntity {
			// Its message ends with what the operation printed (a
			// shell's stderr): indented under it, as the summary of
			// run indents it, and wrapped on a terminal.
			io.WriteString(r.e.stderr, termtext.Indent(program+": "+op+" failed: ", ae.Msg, "  ", termWidth(r.e.stderr)))
			return ExitFailed
		}
		code := r.fail(err)
		if errors.As(err, &ae) && ae.status == http.StatusNotFound && strings.HasPrefix(ae.Msg, "unknown operation ") {
			r.e.errorf("'arsenal-run remote ops list' lists the server's operations")
		}
		return code
	}
	var buf bytes.Buffer
	if len(out.Result) == 0 || json.Indent(&buf, out.Result, "", "  ") != nil {
		buf.Reset()
		buf.WriteString("null")
	}
	buf.WriteByte('\n')
	r.e.stdout.Write(buf.Bytes())
	return ExitOK
}

func (r *remote) run(name string) int {
	// The playbook's inputs say how to read each --input, as run reads
	// them: who=123 is the text 123 for a string input, a number for a
	// number one. A malformed --input is refused before asking.
	if _, err := values("input", r.o.inputs, nil); err != nil {
		return usageError(r.e, r.c, "%v", err)
	}
	var pb struct {
		Inputs []struct{ Name, Type string }
	}
	if _, err := r.call(context.Background(), "GET", "/api/v1/playbooks/"+url.PathEscape(name), nil, &pb); err != nil {
		return r.fail(err)
	}
	declared := map[string]*steps.Input{}
	for _, in := range pb.Inputs {
		declared[in.Name] = &steps.Input{Name: in.Name, Type: steps.InputType(in.Type)}
	}
	inputs, err := values("input", r.o.inputs, declared)
	if err != nil {
		return usageError(r.e, r.c, "%v", err)
	}
	var started struct {
		RunID   string `json:"run_id"`
		Status  string `json:"status"`
		Links   struct{ Self, Events, Cancel string }
		Waiting *waitPlace `json:"waiting"`
	}
	body := map[string]any{"inputs": inputs, "dry_run": r.o.dryRun}
	// With someone to answer, the run is started to ask; without, the
	// server denies its confirm: steps, saying how to ask.
	q := r.questioner()
	if q != nil {
		body["ask"] = true
	}
	if _, err := r.call(context.Background(), "POST", "/api/v1/playbooks/"+url.PathEscape(name)+"/runs", body, &started); err != nil {
		return r.fail(err)
	}
	if q == nil && !r.o.wait && !r.o.follow {
		fmt.Fprintf(r.e.stdout, "%s %s\nevents: %s%s\n", termtext.Line(started.RunID), termtext.Line(started.Status), r.base, termtext.Line(started.Links.Events))
		started.Waiting.note(r.e.stderr)
		return ExitOK
	}
	return r.followRun(started.RunID, started.Status, started.Waiting, q)
}

// remoteExitCode is exitCode for a run followed on a server: 130 and 143
// say that this command's own SIGINT or SIGTERM cancelled the run. One
// cancelled there (by another caller, or the server stopping) did not
// succeed: exit 1, so that CI does not take it for an interrupted job.
func remoteExitCode(rep *report.Report, cause error) int {
	var sig *signalCause
	if rep.Status == report.StatusCancelled && !errors.As(cause, &sig) {
		return ExitFailed
	}
	return exitCode(rep, cause)
}

// envNameRE is the form of an environment variable's name.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
