package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/server"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store"
	"github.com/arsenal-run/arsenal-run/pkg/telemetry"
)

// servedSched is serve's scheduler with what serve puts around it, built
// in-process as serve's run builds it: the daemon's log (JSON lines into
// log), the run service on a state dir, and the API server whose
// /healthz and /metrics take the scheduler's health and series.
type servedSched struct {
	d   *daemon
	sc  *schedules
	svc *runs.Service
	mgr *runs.Manager
	srv *server.Server
	pbs []*steps.Playbook
	log *syncBuffer
	key string // of the admin key
}

func newServedSched(t *testing.T, playbook string) *servedSched {
	t.Helper()
	dir := t.TempDir()
	state, pbDir := filepath.Join(dir, "state"), filepath.Join(dir, "playbooks")
	for _, p := range []string{state, pbDir} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writePlaybook(t, pbDir, "tick.yaml", playbook)
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	pbs, err := server.LoadPlaybooks(pbDir, reg)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := auth.OpenAudit(filepath.Join(state, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { audit.Close() })
	svc, err := runs.NewService(runs.Config{Registry: reg, StateDir: state, Audit: audit})
	if err != nil {
		t.Fatal(err)
	}
	key, digest, err := server.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := server.ParseKeys("keys.yaml", fmt.Appendf(nil, "version: 1\nkeys:\n  - {name: admin, sha256: %s, roles: [admin]}\n", digest))
	if err != nil {
		t.Fatal(err)
	}
	f := &servedSched{svc: svc, mgr: runs.NewManager(svc, runs.Limits{}), pbs: pbs.Scheduled(), log: &syncBuffer{}, key: key}
	f.d = &daemon{e: &env{newScheduler: serveScheduler}, o: serveOptions{spec: store.Spec{Dir: state}, grace: time.Second}}
	f.d.log = newScheduleLogger(f.log, true, false, zerolog.InfoLevel)
	f.sc = f.d.newSchedules(f.mgr)
	// The server as serve builds it on a state dir, with the collector
	// serve.go is to add beside the history's (see collector).
	f.srv, err = server.New(server.Config{Manager: f.mgr, State: server.State{Keys: keys, Playbooks: pbs},
		Scheduling: f.sc.running, Health: f.sc.health, PublicMetrics: true,
		Collectors: []prometheus.Collector{telemetry.ResourceCollector(svc.History()), f.sc.collector()}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// start starts the scheduler as serve does, and stops it, the runs and
// the service at the end of the test.
func (f *servedSched) start(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f.sc.start(ctx, f.pbs)
	t.Cleanup(func() {
		cancel()
		f.sc.wait()
		now, cancelNow := context.WithCancel(context.Background())
		cancelNow()
		f.mgr.Shutdown(now)
		f.svc.Close()
	})
}

func (f *servedSched) get(t *testing.T, path string) (int, string) {
	t.Helper()
	return f.getAs(t, path, "")
}

// getAs is get with key in Authorization (none when "").
func (f *servedSched) getAs(t *testing.T, path, key string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	f.srv.Handler().ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// logged returns the lines of the daemon's log whose message is msg.
func (f *servedSched) logged(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(f.log.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("a log line that is not JSON: %q", line)
		}
		if m["message"] == msg {
			out = append(out, m)
		}
	}
	return out
}

const yearlyPlaybook = "version: 1\nname: tick\nschedule: {cron: \"0 3 1 1 *\"}\nsteps:\n  - {id: a, op: control.log, with: {message: tick}}\n"

// A slot serve's scheduler records missed is in serve's log, at warn, as
// `schedule` logs it, and counted on serve's /metrics: the slot an earlier
// process left queued, which the first load records missed.
func TestServeSchedulerLogsMissedSlotsAndServesMetrics(t *testing.T) {
	f := newServedSched(t, yearlyPlaybook)
	left := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	if _, err := f.svc.History().ClaimSlots(context.Background(), []history.Slot{{Playbook: "tick", Slot: left,
		Outcome: history.SlotQueued, BlockedBy: "20260101T030000-0123456789abcdef", Message: "queued behind a run", At: left}}); err != nil {
		t.Fatal(err)
	}
	f.start(t)

	// The first load settles the slot before start returns.
	lines := f.logged(t, scheduler.LeftQueuedMessage)
	if len(lines) != 1 || lines[0]["level"] != "warn" || lines[0]["playbook"] != "tick" || lines[0]["component"] != "scheduler" {
		t.Errorf("the missed slot in serve's log: %v; log:\n%s", lines, f.log.String())
	}
	if len(f.logged(t, "schedules loaded")) != 1 {
		t.Errorf("no \"schedules loaded\" line in serve's log:\n%s", f.log.String())
	}

	code, body := f.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	for _, want := range []string{
		`arsenal_schedule_slots_missed_total{playbook="tick"} 1`,
		`arsenal_schedule_playbooks_loaded 1`,
		`arsenal_schedule_reloads_total{result="ok"} 1`,
		`arsenal_runs_active 0`, // the server's own, beside them
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
	code, body = f.get(t, "/healthz")
	if code != http.StatusOK || !strings.Contains(body, `"scheduler":"running"`) {
		t.Errorf("/healthz: %d %s", code, body)
	}
}

// When the history cannot answer the scheduler, serve's /healthz says its
// scheduler is degraded, and why, as `schedule --listen` does: still 200.
func TestServeSchedulerHealthDegradedWhenTheStoreFails(t *testing.T) {
	f := newServedSched(t, tickPlaybook)
	// Paused, its slots start no run, whose record the closed history
	// would refuse too: only the scheduler's reads of the pauses fail.
	if _, _, err := f.svc.History().PauseSchedule(context.Background(), history.Pause{Playbook: "tick", By: "test"}); err != nil {
		t.Fatal(err)
	}
	f.start(t)
	f.svc.Close() // the history fails every call from now on

	var h map[string]any
	var code int
	deadline := time.Now().Add(20 * time.Second)
	for {
		var body string
		code, body = f.get(t, "/healthz")
		h = nil
		json.Unmarshal([]byte(body), &h)
		if h["scheduler"] != "running" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if h["scheduler"] != "degraded" || code != http.StatusOK || h["status"] != "ok" {
		t.Fatalf("/healthz with the history closed: %d %v; log:\n%s", code, h, f.log.String())
	}
	// Why is for a caller with a key; the others see the state alone.
	if _, ok := h["scheduler_store_error"]; ok {
		t.Errorf("/healthz without a key tells the store's error: %v", h)
	}
	_, body := f.getAs(t, "/healthz", f.key)
	h = nil
	json.Unmarshal([]byte(body), &h)
	problem, _ := h["scheduler_store_error"].(map[string]any)
	if msg, _ := problem["message"].(string); !strings.Contains(msg, "closed") || problem["at"] == nil {
		t.Errorf("scheduler_store_error: %v", h["scheduler_store_error"])
	}
	// Whichever call of the scheduler meets the closed history first: the
	// read of the pauses, or the record of a slot decided just before.
	if len(f.logged(t, "the history cannot tell which schedules are paused; nothing fires until it can"))+
		len(f.logged(t, "the history cannot record slots; nothing fires until it can")) == 0 {
		t.Errorf("the store's failure is not in serve's log:\n%s", f.log.String())
	}
}

// With a shared store, /healthz joins the database's health and the
// scheduler's: a replica that does not lead says its scheduler stands by,
// and the database's error still makes /healthz 503.
func TestServeHealthJoinsTheLeaderScheduler(t *testing.T) {
	sc := &schedules{d: &daemon{}, s: &leaderScheduler{}}
	queue := func(context.Context) (map[string]any, error) {
		return map[string]any{"leader": false, "store_ok": false}, fmt.Errorf("the database does not answer")
	}
	h, err := joinHealth(queue, sc.health)(context.Background())
	if err == nil || h["scheduler"] != "standby" || h["leader"] != false || h["store_ok"] != false {
		t.Errorf("health of a replica that does not lead: %v, %v", h, err)
	}
}
