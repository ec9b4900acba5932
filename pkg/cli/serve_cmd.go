package cli

import (
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/server"
	"github.com/arsenal-run/arsenal-run/pkg/store"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

func serveCommand() *command {
	return &command{
		name:    "serve",
		summary: "serve the operations and playbooks over a REST API",
		synopsis: `serve --keys FILE (--state-dir DIR | --state URL [--report-dir DIR] --audit-log FILE)
    [--listen ADDR] [--policy FILE] [--playbooks DIR] [--base-url URL]
    [--inventory FILE] [--tls-cert F --tls-key F [--client-ca F]] [--env-passthrough NAMES]
    [--schedule-role R]... [--no-schedule] [--grace D] [--public-metrics] [--max-running N] [--max-queued N] [--lease D]
    [--max-concurrent-runs N] [--max-output-memory MIB] [--log-format console|json] [--log-level LEVEL] [--known-hosts FILE]... [--accept-new-host-keys]
    [--trace-endpoint URL] [--trace-items N] [--session-ttl D] [--secure-cookie] [--no-console] [--plugins DIR]
    [--trusted-proxy CIDR]... [--proxy-header HEADER] [--keep-runs N] [--keep-days D]`,
		help: `Serve the REST API (docs/server.md) behind API keys: each request's key, or
client certificate with --client-ca, maps to roles through the keys file, and
the policy decides per operation. The web console (docs/console.md) is served at
the root path unless --no-console; its users sign in with a key once and get a
session that lasts --session-ttl. Every execute and run is preflighted, audited
in STATE-DIR/audit.log (or --audit-log) and recorded in history. With --state
URL the history, slots, cache and reports live in a PostgreSQL database that
several serve processes share (docs/ha.md). With --playbooks DIR the playbooks
there can be run through the API, and those with a schedule: run on it too
unless --no-schedule, with the roles of --schedule-role (default operator).
Runs see only the environment variables named by --env-passthrough.
Behind nginx or a load balancer, --trusted-proxy names the proxies whose
X-Forwarded-For (or Forwarded) gives the client's address, for the audit log's
from and the failed sign-in limit; other clients cannot set theirs.
--keep-runs and --keep-days prune the history as for
schedule: after every run, and, for the operations executed through the API, at
start and every minute. SIGHUP reloads keys, policy and playbooks, all or
nothing, and the TLS certificate, key and client CA, all or nothing apart.
SIGTERM stops accepting, drains requests in flight for up to --grace, cancels
the runs still going (their finally steps run; they are recorded cancelled) and
exits 0. Every line on standard error is a zerolog line: console lines for
people (coloured on a terminal) or, with --log-format json, JSON lines for a log
shipper. The server's own lines (start, reload, leadership, stop) are at info
and above; --log-level sets the level of the runs' lines.`,
		exits: "0 stopped by SIGTERM or SIGINT; 1 the listener failed; 2 bad usage, or a keys file, policy, playbook or inventory that does not validate; 3 the policy denies a step of a scheduled playbook to the scheduler's roles; 143/130 stopped by SIGTERM/SIGINT while it waited for another process opening the state dir, before anything was served.",
		run:   runServe,
	}
}

type serveOptions struct {
	listen, keys, policy, playbooks, inventory, stateDir string
	state                                                stateFlags
	spec                                                 store.Spec
	auditLog                                             string
	baseURL                                              string
	lease                                                time.Duration
	remote                                               *remoteFlags // --known-hosts, --accept-new-host-keys
	trace                                                traceFlags
	tlsCert, tlsKey, clientCA                            string
	envPass                                              listFlag
	schedRoles                                           listFlag // the roles of the scheduled runs
	noSchedule, publicMetrics, noConsole, secureCookie   bool
	sessionTTL                                           time.Duration
	grace                                                time.Duration
	maxRunning, maxQueued, maxAllow                      int
	keepRuns, keepDays                                   int
	logLevel, logFormat                                  string
	proxy                                                proxyFlags
	proxies                                              server.Proxies
}

// scheduleRoles are the roles of the runs serve's scheduler starts:
// --schedule-role, else the default role.
func (o serveOptions) scheduleRoles() []string {
	if len(o.schedRoles) == 0 {
		return []string{auth.DefaultRole}
	}
	return o.schedRoles
}

// runServe reads and checks the flags of `serve`, then runs the daemon.
func runServe(e *env, args []string) int {
	outlivePipes()
	c := serveCommand()
	fs := newFlags(e, c)
	var o serveOptions
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "listen on `ADDR` (a bare port means loopback)")
	fs.StringVar(&o.keys, "keys", "", "the keys `FILE`: API keys and client certificate subjects with their roles")
	fs.StringVar(&o.policy, "policy", "", "authorize with the policy `FILE` instead of the built-in one")
	fs.StringVar(&o.playbooks, "playbooks", "", "serve the playbooks of `DIR` (and run their schedules)")
	fs.StringVar(&o.baseURL, "base-url", "", "the `URL` runs are found under, for run.url and notifications' links ({run_id} is replaced, else /runs/ID is added)")
	fs.StringVar(&o.inventory, "inventory", "", "the hosts of ssh.* steps and inventory.hosts(), and the cluster's nodes for /api/v1/cluster/*, from `FILE`")
	e.addPluginsFlag(fs.FlagSet)
	rf := &remoteFlags{}
	o.remote = rf
	fs.Var(&rf.knownHosts, "known-hosts", "check SSH host keys against the known_hosts `FILE` instead of ~/.ssh/known_hosts (repeatable)")
	fs.BoolVar(&rf.acceptNew, "accept-new-host-keys", false, "trust and record the key of a host that no known_hosts file lists; a changed key is still refused")
	o.state.add(fs, "history, reports and the audit log under `DIR` (default $ARSENAL_STATE_DIR)")
	fs.DurationVar(&o.lease, "lease", postgres.DefaultLease, "with --state: a replica silent for `D` is taken for dead (its runs interrupted, its leadership lost)")
	fs.StringVar(&o.auditLog, "audit-log", "", "append the audit log to `FILE` (default STATE-DIR/audit.log; required with --state)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with the certificate `FILE` (PEM)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "the private key `FILE` of --tls-cert")
	fs.StringVar(&o.clientCA, "client-ca", "", "require client certificates signed by the CA in `FILE` (mutual TLS)")
	fs.Var(&o.envPass, "env-passthrough", "let runs read the environment variables `NAMES` (comma-separated; repeatable)")
	o.addScheduleFlags(fs)
	fs.BoolVar(&o.publicMetrics, "public-metrics", false, "serve /metrics without a key")
	fs.BoolVar(&o.noConsole, "no-console", false, "do not serve the web console at / (sign-in with POST /api/v1/session still works)")
	fs.DurationVar(&o.sessionTTL, "session-ttl", server.DefaultSessionTTL, "console sessions last `D` (1m to 720h), or until their key expires")
	fs.BoolVar(&o.secureCookie, "secure-cookie", false, "the console is reached over HTTPS through a proxy that terminates TLS: the session cookie is Secure and __Host- prefixed, and a session's requests must come from an https page")
	fs.DurationVar(&o.grace, "grace", 30*time.Second, "on SIGTERM, wait up to `D` for requests in flight")
	fs.IntVar(&o.maxRunning, "max-running", runs.DefaultMaxRunning, "run at most `N` playbook runs at once")
	fs.IntVar(&o.maxQueued, "max-queued", runs.DefaultMaxQueued, "let at most `N` more runs wait; past it, 429")
	e.addOutputMemoryFlag(fs.FlagSet)
	fs.StringVar(&o.logLevel, "log-level", "warn", "log runs to stderr at `LEVEL`: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "console", "write log lines in `FORMAT`: console (for people) or json")
	addRetentionFlags(fs, &o.keepRuns, &o.keepDays, "")
	o.trace.add(fs.FlagSet)
	o.proxy.add(fs)
	jsonUsage(e, fs, &o.logFormat)
	pos, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	// First: the format the other problems are written in.
	if code, ok := checkLogFlags(fs, &o.logFormat, &o.logLevel); !ok {
		return code
	}
	e.logJSON = o.logFormat == "json"
	if o.proxies, code, ok = o.proxy.proxies(fs); !ok {
		return code
	}
	if code, bad := checkBaseURL(fs, o.baseURL); bad {
		return code
	}
	if len(pos) > 0 {
		return fs.usageError("takes no arguments; give files with --keys, --policy, --playbooks")
	}
	addr, err := listenAddr(o.listen)
	if err != nil {
		return fs.usageError("--listen %s: %v", o.listen, err)
	}
	o.listen = addr
	spec, ok := o.state.spec(fs, false)
	if !ok {
		return ExitUsage
	}
	spec.Lease = o.lease
	o.spec, o.stateDir = spec, spec.Dir
	switch {
	case o.lease < 3*time.Second:
		return fs.usageError("--lease must be at least 3s, like 30s, not %s", short.Duration(o.lease))
	case o.scheduleFlagsProblem(fs) != "":
		return fs.usageError("%s", o.scheduleFlagsProblem(fs))
	case o.keys == "":
		return fs.usageError("--keys FILE is required; make a key with '%s keys new --name NAME --role ROLE'", program)
	case o.stateDir == "" && !spec.Postgres():
		return fs.usageError("--state-dir DIR (or --state URL) is required: history, reports and the audit log live there")
	case spec.Postgres() && o.auditLog == "":
		return fs.usageError("--audit-log FILE is required with --state: every execute is audited, and a database holds no audit log")
	case (o.tlsCert == "") != (o.tlsKey == ""):
		return fs.usageError("--tls-cert and --tls-key go together")
	case o.clientCA != "" && o.tlsCert == "":
		return fs.usageError("--client-ca needs --tls-cert and --tls-key")
	case o.grace <= 0:
		return fs.usageError("--grace must be a positive duration, like 30s")
	case o.maxRunning < 1 || o.maxQueued < 0:
		return fs.usageError("--max-running must be at least 1 and --max-queued at least 0")
	case o.sessionTTL < time.Minute || o.sessionTTL > server.MaxSessionTTL:
		return fs.usageError("--session-ttl %s: give a duration from 1m to %s, like 12h", short.Duration(o.sessionTTL), short.Duration(server.MaxSessionTTL))
	case retentionProblem(o.keepRuns, o.keepDays) != "":
		return fs.usageError("%s", retentionProblem(o.keepRuns, o.keepDays))
	}
	level, _ := zerolog.ParseLevel(o.logLevel)
	d := &daemon{e: e, o: o, level: level}
	d.setLog(e.paletteFor(e.stderr).on)
	defer watchSafe(d.log)()
	return d.run()
}
