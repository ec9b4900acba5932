package scheduler

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

func names(hl Health) []string {
	var out []string
	for _, p := range hl.Playbooks {
		out = append(out, p.Name)
	}
	return out
}

// TestLoadRefusesBadSets: a set with a schedule that never fires, @every
// below a second, a playbook without schedule or two playbooks of one name
// is refused as a whole, naming the files; the set loaded before stays.
func TestLoadRefusesBadSets(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.load(playbook("a", "@every 1m"))
		dup := playbook("a", "@hourly")
		dup.File = "copy-of-a.yaml"
		for _, tc := range []struct {
			set  []*steps.Playbook
			want string
		}{
			{[]*steps.Playbook{playbook("a", "@every 1m"), playbook("feb", "0 0 30 2 *")}, "feb.yaml: schedule \"0 0 30 2 *\": cron \"0 0 30 2 *\" never fires"},
			{[]*steps.Playbook{playbook("fast", "@every 500ms")}, "fast.yaml: schedule \"@every 500ms\": @every 500ms is below the minimum of 1s"},
			{[]*steps.Playbook{playbook("a", "@every 1m"), dup}, "copy-of-a.yaml: playbook name a is also used by a.yaml"},
			{[]*steps.Playbook{{Name: "plain", File: "plain.yaml"}}, "plain.yaml: playbook plain has no schedule"},
		} {
			err := h.s.Load(tc.set)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load: %v, want an error containing %q", err, tc.want)
			}
			hl := h.s.Health()
			if diff := cmp.Diff([]string{"a"}, names(hl)); diff != "" {
				t.Errorf("set after a refused load (-want +got):\n%s", diff)
			}
			if hl.Status != "degraded" || hl.ReloadError == nil || !strings.Contains(hl.ReloadError.Message, tc.want) {
				t.Errorf("health after a refused load: %s %+v", hl.Status, hl.ReloadError)
			}
		}
		h.run(time.Minute)
		if diff := cmp.Diff(utc(t10.Add(time.Minute)), h.launcher.slotsOf("a")); diff != "" {
			t.Errorf("the old set stopped firing (-want +got):\n%s", diff)
		}
	})
}

// TestReloadSwapsAtomicallyAndKeepsState: a reload swaps the whole set;
// an unchanged playbook keeps its running run and next slot and runs its
// new content from then on, a changed schedule starts over from now, a new
// playbook joins, and a removed one fires no more while its running run
// still counts.
func TestReloadSwapsAtomicallyAndKeepsState(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.launcher.hold = true
		h.load(playbook("keep", "@every 1m"), playbook("change", "0 * * * *"), playbook("gone", "@every 1m"))
		h.run(time.Minute + 30*time.Second)
		if n := h.s.Health().Running; n != 2 {
			t.Fatalf("%d runs going, want keep's and gone's", n)
		}
		h.s.ReloadFailed(errors.New("bad.yaml:3:5: unknown key \"crn\""))
		if hl := h.s.Health(); hl.ReloadError == nil || !strings.Contains(hl.ReloadError.Message, "bad.yaml:3:5") {
			t.Errorf("reload error not in the health: %+v", hl.ReloadError)
		}

		keep2 := playbook("keep", "@every 1m", overlap("queue"))
		keep2.File, keep2.AbsFile = "keep-v2.yaml", "/pb/keep-v2.yaml"
		h.load(keep2, playbook("change", "30 * * * *"), playbook("new", "@every 1m"))
		hl := h.s.Health()
		if diff := cmp.Diff([]string{"change", "keep", "new"}, names(hl)); diff != "" {
			t.Errorf("set after the reload (-want +got):\n%s", diff)
		}
		if hl.ReloadError != nil || hl.Status != "ok" || hl.Running != 2 {
			t.Errorf("health after the reload: %s, reload error %v, %d running", hl.Status, hl.ReloadError, hl.Running)
		}
		byName := map[string]PlaybookHealth{}
		for _, p := range hl.Playbooks {
			byName[p.Name] = p
		}
		keepRun := runOf(t, h.launcher, "keep")
		if k := byName["keep"]; len(k.Running) != 1 || k.Running[0].ID != keepRun.id || k.NextSlot == nil || !k.NextSlot.Equal(t10.Add(2*time.Minute)) || k.Path != "/pb/keep-v2.yaml" {
			t.Errorf("keep lost its state: %+v", k)
		}
		if c := byName["change"]; c.NextSlot == nil || !c.NextSlot.Equal(t10.Add(30*time.Minute)) {
			t.Errorf("change's next slot: %v, want 10:30", c.NextSlot)
		}

		h.run(30 * time.Second) // 10:02: keep queues behind run-1 (its new policy), new fires, gone does not
		var got []string
		for _, r := range h.launcher.started() {
			got = append(got, r.job.Playbook.Name+" "+r.job.Slot.Format("15:04"))
		}
		sort.Strings(got)
		if diff := cmp.Diff([]string{"gone 10:01", "keep 10:01", "new 10:02"}, got); diff != "" {
			t.Errorf("runs started (-want +got):\n%s", diff)
		}
		keepRun.end(report.StatusSucceeded)
		h.quiesce()
		runs := h.launcher.started()
		if last := runs[len(runs)-1]; last.job.Playbook.Name != "keep" || last.job.Playbook.File != "keep-v2.yaml" || !last.job.Slot.Equal(t10.Add(2*time.Minute)) {
			t.Errorf("keep's queued slot did not run its new file: %s %s", last.job.Playbook.Name, last.job.Playbook.File)
		}
		// gone's run still counts until it ends.
		if n := h.s.Health().Running; n != 3 {
			t.Errorf("%d runs going, want gone's, new's and keep's", n)
		}
		runOf(t, h.launcher, "gone").end(report.StatusSucceeded)
		h.quiesce()
		if n := h.s.Health().Running; n != 2 {
			t.Errorf("%d runs going after gone's ended, want 2", n)
		}
	})
}

// TestShutdownGrace: stopping fires nothing more, records a queued slot as
// missed, lets runs that end within the grace period end on their own, and
// cancels the others when it is over; Run returns once all have ended.
func TestShutdownGrace(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10.Add(-30*time.Second), func(c *Config) { c.Grace = 20 * time.Second })
		h.launcher.hold = true
		h.launcher.endOnCancel = true
		h.load(playbook("quick", "@every 1m"), playbook("slow", "@every 1m"), playbook("q", "@every 1m", overlap("queue")))
		stop := h.startLoop()
		h.loopStep(30 * time.Second) // 10:00: three runs
		h.loopStep(time.Minute)      // 10:01: q queues
		runs := h.launcher.started()
		if len(runs) != 3 {
			t.Fatalf("%d runs, want 3", len(runs))
		}
		returned := make(chan error, 1)
		go func() { returned <- stop() }()
		waitFor(t, "the grace timer", func() bool {
			ts := h.clock.Timers()
			return len(ts) == 1 && ts[0] == 20*time.Second
		})
		if hl := h.s.Health(); hl.Status != "stopping" || hl.Playbooks[0].NextSlot != nil {
			t.Errorf("health while stopping: %s, next %v", hl.Status, hl.Playbooks[0].NextSlot)
		}
		quick := runOf(t, h.launcher, "quick")
		quick.end(report.StatusSucceeded) // quick ends within the grace
		h.clock.Advance(19 * time.Second)
		time.Sleep(20 * time.Millisecond)
		for _, r := range runs {
			if c := r.cancelCauses(); len(c) > 0 {
				t.Fatalf("%s cancelled before the grace period was over", r.id)
			}
		}
		select {
		case <-returned:
			t.Fatal("Run returned while runs were going")
		default:
		}
		h.clock.Advance(time.Second)
		select {
		case err := <-returned:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after the grace period")
		}
		for _, r := range runs {
			c := r.cancelCauses()
			switch {
			case r == quick && len(c) != 0:
				t.Errorf("quick was cancelled: %v", c)
			case r != quick && (len(c) != 1 || !errors.Is(c[0], ErrShutdown)):
				t.Errorf("%s cancelled with %v, want ErrShutdown", r.job.Playbook.Name, c)
			}
		}
		want := []string{slotIs(t10, "fired"), slotIs(t10.Add(time.Minute), "missed "+runOf(t, h.launcher, "q").id)}
		if diff := cmp.Diff(want, h.slots("q")); diff != "" {
			t.Errorf("q's slots (-want +got):\n%s", diff)
		}
		h.clock.Advance(5 * time.Minute)
		if n := len(h.launcher.started()); n != 3 {
			t.Errorf("%d runs after stopping, want no new one", n)
		}
		if err := h.s.Load([]*steps.Playbook{playbook("late", "@every 1m")}); err == nil {
			t.Error("Load after stopping succeeded")
		}
	})
}

// TestShutdownWithoutRunsIsImmediate: with nothing running, stopping does
// not wait for the grace period.
func TestShutdownWithoutRunsIsImmediate(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.load(playbook("p", "@every 1m"))
		stop := h.startLoop()
		h.loopStep(time.Minute)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestHealthAndMetrics reads /healthz and /metrics over HTTP.
func TestHealthAndMetrics(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.load(playbook("a", "@every 1m"), playbook("b", "@every 1m", zone(mustZone(t, "Europe/Berlin"))))
		h.run(time.Minute)
		h.launcher.mu.Lock()
		h.launcher.hold = true
		h.launcher.mu.Unlock()
		h.run(2 * time.Minute) // a and b start at 10:02, and skip 10:03
		srv := httptest.NewServer(h.s.Handler())
		defer srv.Close()

		res, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		var hl Health
		if err := json.NewDecoder(res.Body).Decode(&hl); err != nil || res.StatusCode != 200 {
			t.Fatalf("healthz: %d %v", res.StatusCode, err)
		}
		res.Body.Close()
		if hl.Status != "ok" || hl.Running != 2 || len(hl.Playbooks) != 2 {
			t.Fatalf("healthz: %+v", hl)
		}
		b := hl.Playbooks[1]
		if b.Name != "b" || b.Timezone != "Europe/Berlin" || b.NextSlot == nil || b.NextSlot.Format(time.RFC3339) != "2026-06-01T12:04:00+02:00" {
			t.Errorf("b in healthz: %+v next %v", b, b.NextSlot)
		}
		// Relative on the command line, the daemon's working directory
		// is not its reader's: the path is absolute.
		if abs, _ := filepath.Abs("b.yaml"); b.Path != abs {
			t.Errorf("b's path in healthz: %q, want %q", b.Path, abs)
		}
		if b.LastRun == nil || b.LastRun.Status != report.StatusSucceeded || len(b.Running) != 1 || b.Running[0].ID == "" || b.Running[0].Status != "running" {
			t.Errorf("b's runs in healthz: last %+v running %+v", b.LastRun, b.Running)
		}

		res, err = http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, want := range []string{
			`arsenal_schedule_runs_total{playbook="a",status="succeeded"} 1`,
			`arsenal_schedule_slots_skipped_total{playbook="b"} 1`,
			`arsenal_schedule_playbooks_loaded 2`,
			`arsenal_schedule_runs_running 2`,
			`arsenal_schedule_fire_delay_seconds_count 4`,
			`arsenal_schedule_run_duration_seconds_count{playbook="a"} 1`,
			`arsenal_schedule_reloads_total{result="ok"} 1`,
		} {
			if !strings.Contains(string(body), want+"\n") {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if strings.Contains(string(body), "go_goroutines") {
			t.Error("/metrics serves the global registry's collectors")
		}
	})
}

func TestMetricsPlaybookLabelsAreBounded(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		m := h.s.metrics
		for i := range MaxPlaybookLabels {
			if got := m.label(strings.Repeat("x", i+1)); got != strings.Repeat("x", i+1) {
				t.Fatalf("label %d: %q", i, got)
			}
		}
		if got := m.label("one-too-many"); got != OtherPlaybooks {
			t.Errorf("label past the bound: %q", got)
		}
		if got := m.label("x"); got != "x" {
			t.Errorf("a known label after the bound: %q", got)
		}
	})
}

// runOf returns the first run started for a playbook.
func runOf(t *testing.T, l *fakeLauncher, name string) *fakeRun {
	t.Helper()
	for _, r := range l.started() {
		if r.job.Playbook.Name == name {
			return r
		}
	}
	t.Fatalf("no run of %s", name)
	return nil
}

// TestShutdownLetsGoOfQueuedRuns: a scheduler whose runs execute elsewhere
// (a serve replica that stops leading) lets go of them at once, and says
// so. It logged "grace period over: cancelling the runs still going" and
// "run ended" with status running, though the runs went on elsewhere.
func TestShutdownLetsGoOfQueuedRuns(t *testing.T) {
	h := newHarness(t, t10.Add(-30*time.Second), func(c *Config) { c.LetGo = true })
	h.launcher.hold = true
	h.launcher.letGo = true
	h.load(playbook("slow", "@every 1m"))
	stop := h.startLoop()
	h.loopStep(30 * time.Second) // 10:00: one run
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if c := runOf(t, h.launcher, "slow").cancelCauses(); len(c) != 1 || !errors.Is(c[0], ErrShutdown) {
		t.Errorf("the run was given %v, want ErrShutdown to let go of it", c)
	}
	if l := h.logs.lines("grace period over: cancelling the runs still going"); len(l) != 0 {
		t.Errorf("the log says the runs let go of are cancelled: %v", l)
	}
	if l := h.logs.lines("run ended"); len(l) != 0 {
		t.Errorf("the log says a run let go of ended: %v", l)
	}
	if l := h.logs.lines("run let go: it goes on where it executes"); len(l) != 1 || l[0]["run_id"] != "run-1" {
		t.Errorf("the run let go of is not logged as such: %v", l)
	}
	if l := h.logs.lines("stopping: letting go of the running runs; they go on where they execute"); len(l) != 1 {
		t.Errorf("the shutdown does not say it lets go of the runs: %v", l)
	}
	// It has not ended: arsenal_schedule_runs_total and the durations
	// count the runs that ended, not one with status running.
	if n := testutil.CollectAndCount(h.s.metrics.runs); n != 0 {
		t.Errorf("arsenal_schedule_runs_total has %d series for a run let go of, want none", n)
	}
	if n := testutil.CollectAndCount(h.s.metrics.duration); n != 0 {
		t.Errorf("arsenal_schedule_run_duration_seconds has %d series for a run let go of, want none", n)
	}
}
