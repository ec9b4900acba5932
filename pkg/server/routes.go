package server

import (
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/telemetry"
)

// handler serves one route for an authenticated caller (nil on public
// routes). It writes its answer and returns nil, or returns the error to
// answer with.
type handler func(w http.ResponseWriter, r *http.Request, c *Principal) *apiError

// route is one endpoint: what serves it and how the OpenAPI document
// describes it. The route table is the one source of both.
type route struct {
	method, path string
	public       bool // no key needed
	handle       handler
	tag          string
	summary      string
	query        []param
	body         string         // the request body's schema, in components
	ok           map[int]string // success statuses and their schemas ("" = text)
	errors       []int          // error statuses besides those of every route
	contentType  string         // of the success answer; default application/json
}

// param is a query parameter of a route.
type param struct {
	name, typ, desc string
}

// routeTable lists every endpoint of the API.
func (s *Server) routeTable() []*route {
	js := func(code int, schema string) map[int]string { return map[int]string{code: schema} }
	return []*route{
		{method: "GET", path: "/healthz", public: true, handle: s.healthz, tag: "server",
			summary: "Liveness: 200 while serving, 503 once shutting down (or, with a shared store, while the database does not answer; or, on either store, while the ends of runs it refused wait to be recorded: `history_unrecorded`). No key needed; what failed (`error`, `store`, the scheduler's errors) only to a caller with a key of any role, the others get `reasons`.",
			ok:      map[int]string{200: "Health", 503: "Health"}, errors: []int{400, 401}},
		{method: "GET", path: "/metrics", public: s.cfg.PublicMetrics, handle: s.metrics.serve, tag: "server", contentType: "text/plain",
			summary: "Prometheus metrics. Needs a key with any role, unless the server runs with --public-metrics.", ok: js(200, ""), errors: []int{400, 401}},
		{method: "GET", path: "/api/v1/openapi.json", public: true, handle: s.openAPI, tag: "server",
			summary: "This document.", ok: js(200, ""), errors: []int{400, 401}},

		{method: "POST", path: "/api/v1/session", public: true, handle: s.signIn, tag: "session", body: "SignIn",
			summary: "Sign in to the console with an API key: sets the HttpOnly session cookie and answers the CSRF token that the session's state-changing requests send as X-CSRF-Token. Failed sign-ins count like failed keys.",
			ok:      js(201, "Session"), errors: []int{400, 401, 404, 413, 429}},
		{method: "GET", path: "/api/v1/session", handle: s.whoAmI, tag: "session",
			summary: "Who the request is: name, roles and how it authenticated; for a session, its expiry and CSRF token.",
			ok:      js(200, "Session"), errors: []int{400}},
		{method: "DELETE", path: "/api/v1/session", handle: s.signOut, tag: "session",
			summary: "Sign out: the session is revoked for good (its cookie, replayed, is refused) and the cookie deleted.",
			ok:      js(200, "SignedOut"), errors: []int{400, 403}},

		{method: "GET", path: "/api/v1/operations", handle: s.listOps, tag: "operations",
			summary: "List the operations, optionally of one category or matching words.",
			query:   []param{{"category", "string", "only operations of this category"}, {"q", "string", "words that the name, description or params must contain"}},
			ok:      js(200, "Operations"), errors: []int{400, 404}},
		{method: "GET", path: "/api/v1/operations/{category}", handle: s.opsOfCategory, tag: "operations",
			summary: "List the operations of a category. An unknown category is 404.", ok: js(200, "Operations"), errors: []int{400, 404}},
		{method: "POST", path: "/api/v1/operations/{name}/execute", handle: s.execute, tag: "operations", body: "ExecuteRequest",
			summary: "Execute one operation for the caller: authorized, audited and recorded like a one-step playbook.",
			ok:      js(200, "ExecuteResult"), errors: []int{400, 403, 404, 413, 422, 500, 503}},
		{method: "POST", path: "/api/v1/batch", handle: s.batch, tag: "operations", body: "BatchRequest",
			summary: "Execute up to 100 operations, at most concurrency at once; the results come in request order.",
			ok:      js(200, "BatchResult"), errors: []int{400, 413}},

		{method: "GET", path: "/api/v1/playbooks", handle: s.listPlaybooks, tag: "playbooks",
			summary: "List the server's playbooks with their inputs, schedule and next fire time.", ok: js(200, "Playbooks"), errors: []int{400}},
		{method: "GET", path: "/api/v1/playbooks/{name}", handle: s.getPlaybook, tag: "playbooks",
			summary: "Describe one playbook.", ok: js(200, "Playbook"), errors: []int{400, 404}},
		{method: "POST", path: "/api/v1/playbooks/{name}/preflight", handle: s.preflight, tag: "playbooks", body: "RunRequest",
			summary: "What a run with these inputs would be allowed to do: each step allowed or denied with the deciding rule, and each input problem by its field. Nothing runs.",
			ok:      js(200, "Preflight"), errors: []int{400, 403, 404, 413}},
		{method: "POST", path: "/api/v1/playbooks/{name}/runs", handle: s.startRun, tag: "runs", body: "RunRequest",
			summary: "Start a run. 202 with its links; with ?wait=, 200 with the report if it ended in time.",
			query:   []param{{"wait", "string", "wait up to this long (like 30s) for the run to end"}},
			ok:      map[int]string{200: "Report", 202: "RunStarted"}, errors: []int{400, 403, 404, 413, 503}},
		{method: "GET", path: "/api/v1/runs", handle: s.listRuns, tag: "runs",
			summary: "List runs, newest first: those of this server still going, then history.",
			query: []param{{"playbook", "string", "only runs of this playbook"}, {"status", "string", "only runs with this status, or any of several separated by commas (failed,cancelled): " + strings.Join(runStatuses(), ", ")},
				{"trigger", "string", "cli, schedule or api"}, {"limit", "integer", "at most this many (default 50, up to 1000)"},
				{"before", "string", "the next of the previous page, to page on; or an RFC 3339 time: only runs started before it"},
				{"since", "string", "only runs started at or after it: how long ago (30m, 24h, 2d, 1w) or an RFC 3339 time"}},
			ok: js(200, "Runs"), errors: []int{400}},
		{method: "GET", path: "/api/v1/runs/{id}", handle: s.getRun, tag: "runs",
			summary: "A run's report; while it runs, status running and the steps so far.", ok: js(200, "RunReport"), errors: []int{400, 404}},
		{method: "GET", path: "/api/v1/runs/{id}/events", handle: s.events, tag: "runs", contentType: "text/event-stream",
			summary: "The run's events as Server-Sent Events: id is the sequence number, event the kind, data the event as JSON. Replay first; Last-Event-ID resumes; the stream ends after run_finished.",
			ok:      js(200, ""), errors: []int{400, 404}},
		{method: "POST", path: "/api/v1/runs/{id}/cancel", handle: s.cancelRun, tag: "runs",
			summary: "Cancel a run: its steps are cancelled, on_cancel and finally run, the report says cancelled. Audited. A run being cancelled already, or ended, is 409.",
			ok:      js(202, "RunStarted"), errors: []int{400, 403, 404, 409}},
		{method: "GET", path: "/api/v1/runs/{id}/timeline.svg", handle: s.timeline, tag: "runs", contentType: "image/svg+xml",
			summary: "The run's timeline as the HTML report draws it, as one SVG image with its styles inside; the steps so far while it runs.",
			ok:      js(200, ""), errors: []int{400, 404}},
		{method: "GET", path: "/api/v1/runs/{id}/questions", handle: s.questions, tag: "runs",
			summary: "The run's confirm: questions waiting for an answer, and whether the caller may answer them and cancel the run.",
			ok:      js(200, "Questions"), errors: []int{400, 404, 409}},
		{method: "POST", path: "/api/v1/runs/{id}/confirm", handle: s.confirm, tag: "runs", body: "ConfirmRequest",
			summary: "Answer a confirm: question of a run started with ask: true. The answer and who gave it go into the report and the audit log.",
			ok:      js(200, "Confirmed"), errors: []int{400, 403, 404, 409, 413}},

		{method: "GET", path: "/api/v1/schedules", handle: s.listSchedules, tag: "schedules",
			summary: "The scheduled playbooks: cron, time zone, next fire times, whether paused, the last slots (fired runs, skipped, missed, failed), and whether the caller may pause them.",
			ok:      js(200, "Schedules"), errors: []int{400}},
		{method: "POST", path: "/api/v1/schedules/{name}/pause", handle: s.pauseSchedule(true), tag: "schedules",
			summary: "Pause a playbook's schedule for every scheduler on the state dir: its slots are recorded skipped until resumed. Audited.",
			ok:      js(200, "Schedule"), errors: []int{400, 403, 404, 409}},
		{method: "POST", path: "/api/v1/schedules/{name}/resume", handle: s.pauseSchedule(false), tag: "schedules",
			summary: "Resume a paused schedule from its next slot; the slots skipped meanwhile stay skipped. Audited.",
			ok:      js(200, "Schedule"), errors: []int{400, 403, 404, 409}},

		{method: "GET", path: "/api/v1/processes", handle: s.listProcesses, tag: "processes",
			summary: "List processes (the process.list operation).",
			query: []param{{"name_regex", "string", "RE2 the name must match"}, {"cmdline_regex", "string", "RE2 the command line must match"},
				{"user", "string", "only this user's processes: a user name (one the host does not know is 400) or a uid"}, {"min_cpu_percent", "number", "only processes using this much CPU"}, {"limit", "integer", "at most this many"}},
			ok: js(200, "OpOutput"), errors: []int{400, 403, 422}},
		{method: "POST", path: "/api/v1/processes", handle: s.startProcess, tag: "processes", body: "StartProcess",
			summary: "Start a process under the server's supervisor (the process.start operation); a program or working directory that is not there is 400 naming the field.",
			ok:      js(201, "ProcessStarted"), errors: []int{400, 403, 413, 422}},
		{method: "GET", path: "/api/v1/processes/{pid}", handle: s.getProcess, tag: "processes",
			summary: "Describe one process (the process.info operation), with the started_at that DELETE takes.", ok: js(200, "OpOutput"), errors: []int{400, 403, 404, 422}},
		{method: "DELETE", path: "/api/v1/processes/{pid}", handle: s.killProcess, tag: "processes",
			summary: "Signal a process (process.signal; process.kill for KILL). With started_at, a pid that another process has taken since is not signalled: 409.",
			query: []param{{"signal", "string", "a signal's name, with or without SIG, in any case: TERM (the default), KILL, INT, HUP, USR1, USR2, QUIT, STOP or CONT"},
				{"started_at", "string", "the process's started_at, as POST /api/v1/processes or GET /api/v1/processes/{pid} answered it; the signal goes only to the process that started then"}},
			ok: js(200, "OpOutput"), errors: []int{400, 403, 404, 409, 422}},
		{method: "GET", path: "/api/v1/supervisors", handle: s.listSupervisors, tag: "processes",
			summary: "List the server's supervisor groups and their processes. To stop a group: POST /api/v1/operations/supervisor.stop/execute with {\"params\": {\"supervisor\": \"ID\"}}.", ok: js(200, "Supervisors"), errors: []int{400, 403}},
		{method: "GET", path: "/api/v1/supervisors/{id}/children", handle: s.supervisorOp("supervisor.children"), tag: "processes",
			summary: "The processes of a supervisor group (supervisor.children).", ok: js(200, "OpOutput"), errors: []int{400, 403, 404, 422}},
		{method: "POST", path: "/api/v1/supervisors/{id}/restart", handle: s.supervisorOp("supervisor.restart"), tag: "processes",
			summary: "Restart the processes of a supervisor group (supervisor.restart).", ok: js(200, "OpOutput"), errors: []int{400, 403, 404, 422}},

		{method: "GET", path: "/api/v1/cluster/health", handle: s.clusterOp("cluster.health"), tag: "cluster",
			summary: "Probe the nodes of --inventory (cluster.health).", ok: js(200, "OpOutput"), errors: []int{400, 403, 404, 422}},
		{method: "GET", path: "/api/v1/cluster/topology", handle: s.clusterOp("cluster.topology"), tag: "cluster",
			summary: "Describe the nodes of --inventory (cluster.topology).", ok: js(200, "OpOutput"), errors: []int{400, 403, 404, 422}},

		{method: "GET", path: "/api/v1/stats/operations", handle: s.opStats, tag: "stats",
			summary: "Per operation: calls, errors, error rate and p50/p95/p99 duration over a time range. Read one request at a time; an answer is given again for 5 s.",
			query:   []param{{"range", "string", "how far back, like 1h (default), 24h or 7d"}},
			ok:      js(200, "OpStats"), errors: []int{400}},
	}
}

// wrap puts a route's handler behind what every request goes through:
// the panic guard (500, and the server goes on), metrics by route, and
// authentication with the per-caller rate limit.
func (s *Server) wrap(rt *route) http.Handler {
	label := rt.method + " " + rt.path
	if rt.path == "/" {
		label = "other"
	}
	counts := s.metrics.newRouteSeries(label)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if rt.path != "/" {
			telemetry.SetRoute(r.Context(), rt.method, rt.path)
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Printf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
				if sw.status == 0 {
					writeError(sw, errorf(http.StatusInternalServerError, ClassInternal, "internal error; the server logged it"))
				}
			}
			counts.observe(sw.code(), time.Since(start).Seconds())
		}()
		h := w.Header()
		h["Cache-Control"] = noStore
		// An answer of the API is data, never a page: it loads nothing,
		// runs nothing and may not be framed.
		h["Content-Security-Policy"] = apiCSP
		h["X-Frame-Options"] = frameDeny
		h["Referrer-Policy"] = noReferrer
		var c *Principal
		if !rt.public {
			var e *apiError
			if c, e = s.authenticate(r); e == nil {
				if e = s.checkCSRF(r, c); e == nil {
					e = s.current().rates.allowCaller(c.Name)
				}
			}
			if e != nil {
				writeError(sw, e)
				return
			}
		}
		if rt.body == "" && rt.method != "GET" && rt.path != "/" {
			if e := noBody(r, label); e != nil {
				writeError(sw, e)
				return
			}
		}
		if e := rt.handle(sw, r, c); e != nil {
			writeError(sw, e)
		}
	})
}

// The values of the headers every answer has, made once as writeJSON's
// are (see jsonContentType).
var (
	noStore    = []string{"no-store"}
	apiCSP     = []string{"default-src 'none'; frame-ancestors 'none'"}
	frameDeny  = []string{"DENY"}
	noReferrer = []string{"no-referrer"}
)

// statusWriter records the status of an answer. It unwraps for
// http.ResponseController, so flushing and deadlines reach the connection.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
