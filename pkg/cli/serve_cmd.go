package cli

import (
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/server"
	"github.com/arsenal-run/arsenal-run/pkg/store"
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
	maxRunning, maxQueued, maxAllow, outputMiB           int
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
