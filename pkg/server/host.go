package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// The processes, supervisors and cluster endpoints are operations run for
// the caller: the same authorization, audit and history as an execute.

// GET /api/v1/processes[?name_regex=&cmdline_regex=&user=&min_cpu_percent=&limit=]
func (s *Server) listProcesses(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	q := r.URL.Query()
	if e := onlyParams(q, "name_regex", "cmdline_regex", "user", "min_cpu_percent", "limit"); e != nil {
		return e
	}
	params := map[string]any{}
	for _, k := range []string{"name_regex", "cmdline_regex", "user"} {
		if q.Has(k) {
			params[k] = q.Get(k)
		}
	}
	if s.deniedOutright(c, "process.list") == nil {
		if e := checkUser(q.Get("user")); e != nil {
			return e
		}
	}
	if v := q.Get("min_cpu_percent"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return badField("min_cpu_percent", "min_cpu_percent=%q: give a number", v)
		}
		params["min_cpu_percent"] = f
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return badField("limit", "limit=%q: give a whole number", v)
		}
		params["limit"] = n
	}
	return s.opAnswer(w, r, c, "process.list", params, nil)
}

// checkUser refuses a user name that names no user of this host, which
// would list no process rather than say so. A number is a uid, which may
// have no name.
func checkUser(name string) *apiError {
	if name == "" {
		return nil
	}
	if _, err := strconv.ParseUint(name, 10, 32); err == nil {
		return nil
	}
	if _, err := user.Lookup(name); errors.As(err, new(user.UnknownUserError)) {
		return badField("user", "user=%q: no user of that name on this host; give a user name as the listing shows it, or a numeric uid", name)
	}
	return nil
}

type startProcess struct {
	Command []string       `json:"command"`
	Name    string         `json:"name"`
	Env     map[string]any `json:"env"`
	Dir     string         `json:"dir"`
	Restart string         `json:"restart"`
}

// DefaultGroup is the supervisor group of processes started without a
// name.
const DefaultGroup = "api"

// POST /api/v1/processes
func (s *Server) startProcess(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	var body startProcess
	if e := decodeStrict(r, s.cfg.Limits.MaxBodyBytes, &body); e != nil {
		return e
	}
	if len(body.Command) == 0 {
		return badField("command", "give the command as a list, like [\"/usr/bin/worker\", \"--queue\", \"mail\"]")
	}
	group := body.Name
	if group == "" {
		group = DefaultGroup
	}
	command := make([]any, len(body.Command))
	for i, a := range body.Command {
		command[i] = a
	}
	params := map[string]any{"command": command, "supervisor": group}
	if body.Env != nil {
		params["env"] = body.Env
	}
	if body.Dir != "" {
		params["dir"] = body.Dir
	}
	if body.Restart != "" {
		params["restart"] = body.Restart
	}
	res, e := s.opFor(w, r, c, "process.start", params, map[string]string{"supervisor": "name"})
	if e != nil {
		if e.Class == ClassValidation && e.Field == "" {
			// The process did not start for want of what the body names
			// (a program or a working directory that is not there): the
			// request is wrong as sent, not its execution.
			e.Field = missingOf(body)
		}
		return e
	}
	writeJSON(w, http.StatusCreated, map[string]any{"pid": res.Result["pid"], "started_at": res.Result["started_at"], "id": group, "run_id": res.RunID})
	return nil
}

// missingOf names the field of a process that could not start: its
// working directory when that is not a directory, else its command.
func missingOf(body startProcess) string {
	if body.Dir != "" {
		if fi, err := os.Stat(body.Dir); err != nil || !fi.IsDir() {
			return "dir"
		}
	}
	return "command"
}

// GET /api/v1/processes/{pid}
func (s *Server) getProcess(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	pid, e := pidOf(r)
	if e != nil {
		return e
	}
	return s.opAnswer(w, r, c, "process.info", map[string]any{"pid": pid}, func() *apiError { return pidGone(pid, "") })
}

// DELETE /api/v1/processes/{pid}[?signal=TERM&started_at=T]
func (s *Server) killProcess(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	q := r.URL.Query()
	if e := onlyParams(q, "signal", "started_at"); e != nil {
		return e
	}
	pid, e := pidOf(r)
	if e != nil {
		return e
	}
	sig, e := signalOf(q)
	if e != nil {
		return e
	}
	op, params := "process.signal", map[string]any{"pid": pid, "signal": sig}
	if sig == "KILL" {
		op, params = "process.kill", map[string]any{"pid": pid}
	}
	var started time.Time
	if q.Has("started_at") {
		v := q.Get("started_at")
		var err error
		if started, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return badField("started_at", "started_at=%q: give the process's started_at as GET /api/v1/processes/{pid}, POST /api/v1/processes or process.list answer it, an RFC 3339 time like 2025-01-02T15:04:05.123Z", v)
		}
		params["started_at"] = v
	}
	res, e := s.opFor(w, r, c, op, params, nil)
	if e != nil {
		if e.Status != http.StatusUnprocessableEntity {
			return e
		}
		if nf := pidGone(pid, "nothing was signalled"); nf != nil {
			nf.RunID = e.RunID
			return nf
		}
		if !started.IsZero() {
			if msg := pidTaken(pid, started); msg != "" {
				ce := errorf(http.StatusConflict, ClassConflict, "%s", msg)
				ce.RunID = e.RunID
				return ce
			}
		}
		return e
	}
	writeJSON(w, http.StatusOK, res.Result)
	return nil
}

// apiSignals are the signals DELETE /api/v1/processes/{pid} sends:
// process.signal's, and KILL, which process.kill sends.
var apiSignals = []string{"TERM", "KILL", "INT", "HUP", "USR1", "USR2", "QUIT", "STOP", "CONT"}

// GET /api/v1/supervisors
func (s *Server) listSupervisors(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	type supervisor struct {
		ID       string `json:"id"`
		Children []any  `json:"children"`
	}
	out := []supervisor{}
	groups := s.groups()
	if d := s.deniedOutright(c, "supervisor.children"); d != nil && len(groups) == 0 {
		return refusedOutright("supervisor.children", d)
	}
	for _, g := range groups {
		res, e := s.opFor(w, r, c, "supervisor.children", map[string]any{"supervisor": g}, nil)
		if e != nil {
			if e.Status == http.StatusUnprocessableEntity && !slices.Contains(s.groups(), g) {
				continue // stopped since it was listed (supervisor.stop)
			}
			return e
		}
		children, _ := res.Result["children"].([]any)
		out = append(out, supervisor{ID: g, Children: children})
	}
	writeJSON(w, http.StatusOK, map[string]any{"supervisors": out})
	return nil
}

func (s *Server) groups() []string {
	if s.cfg.Supervisors == nil {
		return nil
	}
	return s.cfg.Supervisors()
}

// supervisorOp runs a supervisor op on the group {id}, which must exist.
func (s *Server) supervisorOp(op string) handler {
	return func(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
		if e := onlyParams(r.URL.Query()); e != nil {
			return e
		}
		id := r.PathValue("id")
		if s.deniedOutright(c, op) == nil {
			if e := s.noGroup(id); e != nil {
				return e
			}
		}
		// A group stopped (supervisor.stop) between that check and the
		// operation is as missing as one never started.
		return s.opAnswer(w, r, c, op, map[string]any{"supervisor": id}, func() *apiError { return s.noGroup(id) })
	}
}

// noGroup is the 404 of a supervisor group the server does not have, or
// nil when it has it.
func (s *Server) noGroup(id string) *apiError {
	groups := s.groups()
	if slices.Contains(groups, id) {
		return nil
	}
	known := "none yet"
	if len(groups) > 0 {
		known = strings.Join(groups, ", ")
	}
	return notFound("no supervisor %q (known: %s)", id, known)
}

// clusterOp runs a cluster op on the nodes of --inventory.
func (s *Server) clusterOp(op string) handler {
	return func(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
		if e := onlyParams(r.URL.Query()); e != nil {
			return e
		}
		if s.cfg.Nodes == nil {
			if d := s.deniedOutright(c, op); d != nil {
				return refusedOutright(op, d)
			}
			return notFound("the server has no cluster: start it with --inventory FILE")
		}
		return s.opAnswer(w, r, c, op, map[string]any{"nodes": s.cfg.Nodes}, nil)
	}
}

// opFor runs an operation with the default timeout, rate-limited like an
// execute. An error names a param as the endpoint takes it: by its own
// name, or by rename[param] where the endpoint calls it otherwise.
func (s *Server) opFor(w http.ResponseWriter, r *http.Request, c *Principal, op string, params map[string]any, rename map[string]string) (*executeResult, *apiError) {
	give, e := s.current().rates.allowOp(op)
	if e != nil {
		return nil, e
	}
	s.lift(w, s.cfg.Limits.ExecTimeout)
	res, e := s.runOp(r.Context(), r, c, op, params, s.cfg.Limits.ExecTimeout)
	refund(give, e)
	if e != nil {
		// These endpoints take the op's params as query parameters, path
		// values or body fields of their own, not under "params".
		ownNames(e, rename)
	}
	return res, e
}

// opAnswer runs an operation and answers with its output. When the
// operation fails and gone (if set) says what is missing, the answer is
// 404 with that.
func (s *Server) opAnswer(w http.ResponseWriter, r *http.Request, c *Principal, op string, params map[string]any, gone func() *apiError) *apiError {
	res, e := s.opFor(w, r, c, op, params, nil)
	if e != nil {
		if gone != nil && e.Status == http.StatusUnprocessableEntity {
			if nf := gone(); nf != nil {
				nf.RunID = e.RunID
				return nf
			}
		}
		return e
	}
	writeJSON(w, http.StatusOK, res.Result)
	return nil
}

// GET /api/v1/stats/operations[?range=1h]
func (s *Server) opStats(w http.ResponseWriter, r *http.Request, _ *Principal) *apiError {
	q := r.URL.Query()
	if e := onlyParams(q, "range"); e != nil {
		return e
	}
	d := time.Hour
	if v := q.Get("range"); v != "" {
		var err error
		d, err = parseRange(v)
		if err != nil {
			return badField("range", "range=%q: give a positive duration up to 366 days, like 1h, 24h or 7d", v)
		}
	}
	store := s.mgr.Service().History()
	if store == nil {
		writeJSON(w, http.StatusOK, map[string]any{"operations": []any{}})
		return nil
	}
	opsStats, err := s.stats.get(r.Context(), d, s.cfg.Now(), func(ctx context.Context, since time.Time) ([]history.OpStats, error) {
		ops, _, err := store.Stats(ctx, since, time.Time{})
		return ops, err
	})
	if err != nil {
		return storeError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"operations": opsStats})
	return nil
}

// other answers what no route of the API has: the console's pages and
// assets (GET, outside /api/), else notFound.
func (s *Server) other(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if clean, ok := uncleanPath(r); ok {
		return s.notClean(w, r, clean)
	}
	if s.cfg.Console != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !strings.HasPrefix(r.URL.Path, "/api/") {
		s.cfg.Console.ServeHTTP(w, r)
		return nil
	}
	return s.notFound(w, r, c)
}

// notFound answers paths no route has: 405 with Allow when another method
// has one, else 404, saying which path serves one written with a
// trailing slash.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, _ *Principal) *apiError {
	if p, ok := slashDecoded(s.mux, r); ok {
		return notFound("no endpoint %s %s: %%2F in a path is part of a value, not a separator, and no run id or name holds a slash; send %s %s", r.Method, r.URL.EscapedPath(), r.Method, p)
	}
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		// The path as sent: an escaped slash stays inside its segment.
		probe := &http.Request{Method: m, URL: &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath}, Host: r.Host}
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		header := allow
		if allow[0] == http.MethodGet {
			// A GET route answers HEAD too.
			header = slices.Insert(slices.Clone(allow), 1, http.MethodHead)
		}
		w.Header().Set("Allow", strings.Join(header, ", "))
		e := errorf(http.StatusMethodNotAllowed, ClassNotFound, "%s %s is not served; use %s", r.Method, r.URL.Path, strings.Join(allow, " or "))
		return e
	}
	if p := strings.TrimRight(r.URL.Path, "/"); p != r.URL.Path && p != "" {
		probe := &http.Request{Method: r.Method, URL: &url.URL{Path: p}, Host: r.Host}
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			return notFound("no endpoint %s %s; drop the trailing slash: %s %s", r.Method, r.URL.Path, r.Method, p)
		}
	}
	if hint := stopHint(r.URL.Path); hint != "" {
		return notFound("no endpoint %s %s; %s", r.Method, r.URL.Path, hint)
	}
	return notFound("no endpoint %s %s; GET /api/v1/openapi.json lists them", r.Method, r.URL.Path)
}

// stopHint is where to stop a supervisor group, for a path that looks
// for it under /api/v1/supervisors/{id} (DELETE .../{id}, POST
// .../{id}/stop): the API stops one only through the operation.
func stopHint(path string) string {
	rest, ok := strings.CutPrefix(path, "/api/v1/supervisors/")
	id, tail, _ := strings.Cut(rest, "/")
	if !ok || id == "" || (tail != "" && tail != "stop") {
		return ""
	}
	return fmt.Sprintf(`to stop a supervisor group, POST /api/v1/operations/supervisor.stop/execute with {"params": {"supervisor": %q}}`, id)
}

// onlyParams refuses query parameters an endpoint does not take, and one
// given twice: each takes one value, and the first alone would be read
// (?status=failed&status=cancelled would list the failed runs only).
func onlyParams(q url.Values, allowed ...string) *apiError {
	for k, vs := range q {
		if !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return badField(k, "unknown query parameter %q; this endpoint takes none", k)
			}
			return badField(k, "unknown query parameter %q; this endpoint takes %s", k, strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return badField(k, "query parameter %s is given %d times; give it once, with one value (ask once for each value)", k, len(vs))
		}
	}
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }

// lift lets a request that waits on purpose (an execute with a timeout,
// ?wait=) outlast the server's read and write timeouts: its body is read,
// so the read deadline goes, and the write deadline moves to d from now,
// plus the usual write timeout for the answer.
func (s *Server) lift(w http.ResponseWriter, d time.Duration) {
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Now().Add(d + s.cfg.Limits.WriteTimeout))
}
