package cli

import (
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/shellword"
)

// remoteCommand describes `remote`.
func remoteCommand() *command {
	return &command{
		name:    "remote",
		summary: "call an arsenal-run server: list and execute operations, run and follow playbooks",
		synopsis: `remote --server URL [--key-env VAR] [--ca F --cert F --key F] [--log-format console|json] ops list [--category C]
remote --server URL exec OP [--param k=v]... [--timeout D]
remote --server URL run NAME [--input k=v]... [--dry-run] [--wait] [--follow] [--yes]
remote --server URL runs [--playbook P] [--status S[,S...]] [--since D] [--limit N]
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

// remoteOptions are the flags of `arsenal-run remote`.
type remoteOptions struct {
	server, keyEnv, ca, cert, key string
	category, timeout             string
	params, inputs                multiFlag
	wait, follow, dryRun, yes     bool
	playbook                      string
	status                        listFlag
	limit                         int
	since                         durationFlag
	logFormat                     string
}

// runRemote reads the flags and the subcommand of `remote`, checks them,
// and runs the subcommand.
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
	fs.Var(&o.status, "status", "runs: only runs with status `S`, in any case; several as failed,cancelled")
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
	if !shellword.IsName(o.keyEnv) || strings.HasPrefix(o.keyEnv, "ak_") {
		// Most likely the key itself, typed where its variable's name
		// goes: it is not repeated, so that it stays out of logs.
		return fs.usageError("--key-env takes the name of an environment variable that holds the key, such as ARSENAL_API_KEY, not the key itself (if that was the key, it is now in your shell history: consider replacing it)")
	}
	if fs.given("limit") && (o.limit < 1 || o.limit > maxRemoteLimit) {
		return fs.usageError("--limit must be 1 to %d (the most the server lists at once), not %d", maxRemoteLimit, o.limit)
	}
	// Any case, as 'history' takes them: the server's names are all
	// lower case. Several are sent as one comma list, which the server
	// judges.
	o.status = lowerOnce(o.status)
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
