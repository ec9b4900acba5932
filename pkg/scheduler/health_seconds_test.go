package scheduler

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestHealthTimesToTheSecond: /healthz shows its clock and the next fire
// time as people read them, RFC 3339 to the second, however finely the
// jitter was drawn and the clock reads.
func TestHealthTimesToTheSecond(t *testing.T) {
	start := t10.Add(250 * time.Millisecond)
	h := newHarness(t, start, func(c *Config) {
		c.Jitter = func(time.Duration) time.Duration { return 12*time.Second + 345678901 }
	})
	h.load(playbook("p", "@every 1m", func(sc *steps.Schedule) { sc.Jitter = 30 * time.Second }))
	b, err := json.Marshal(h.s.Health())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Now       string `json:"now"`
		Playbooks []struct {
			NextFire string `json:"next_fire"`
		} `json:"playbooks"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Now != "2026-06-01T10:00:00Z" {
		t.Errorf("now %q, want 2026-06-01T10:00:00Z", got.Now)
	}
	if len(got.Playbooks) != 1 || got.Playbooks[0].NextFire != "2026-06-01T10:01:12Z" {
		t.Errorf("next_fire in %s, want 2026-06-01T10:01:12Z", b)
	}
	if strings.Contains(string(b), ".345") {
		t.Errorf("a fraction of a second in %s", b)
	}
}

// TestHealthRunTimesToTheSecond: a run's started_at and finished_at, and
// a reload error's at, are shown as the docs show them, in UTC to the
// second, not with whatever fraction and zone the clock read.
func TestHealthRunTimesToTheSecond(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, t10.In(berlin).Add(250*time.Millisecond), func(c *Config) {
		c.Jitter = func(time.Duration) time.Duration { return 12*time.Second + 345678901 }
	})
	h.launcher.hold = true
	h.load(playbook("p", "@every 1m", jitter(30*time.Second)))
	h.run(80 * time.Second)
	runs := h.launcher.started()
	if len(runs) != 1 {
		t.Fatalf("%d runs started, want 1", len(runs))
	}
	running := h.s.Health().Playbooks[0].Running
	if len(running) != 1 || running[0].StartedAt == nil {
		t.Fatalf("running in health: %+v", running)
	}
	if got := running[0].StartedAt.Format(time.RFC3339Nano); got != "2026-06-01T10:01:12Z" {
		t.Errorf("a running run's started_at %s, want 2026-06-01T10:01:12Z", got)
	}
	h.clock.Advance(1500 * time.Millisecond)
	runs[0].end(report.StatusSucceeded)
	h.run(time.Second)
	h.s.ReloadFailed(errors.New("p.yaml:1:1: broken"))
	b, err := json.Marshal(h.s.Health())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Now       string `json:"now"`
		Playbooks []struct {
			LastRun struct {
				StartedAt  string `json:"started_at"`
				FinishedAt string `json:"finished_at"`
			} `json:"last_run"`
		} `json:"playbooks"`
		ReloadError struct {
			At string `json:"at"`
		} `json:"reload_error"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Playbooks) != 1 {
		t.Fatalf("health %s", b)
	}
	last := got.Playbooks[0].LastRun
	second := regexp.MustCompile(`^2026-06-01T10:0[12]:\d\dZ$`)
	if last.StartedAt != "2026-06-01T10:01:12Z" || !second.MatchString(last.FinishedAt) {
		t.Errorf("last_run started_at %q finished_at %q, want UTC to the second", last.StartedAt, last.FinishedAt)
	}
	if at := got.ReloadError.At; at != got.Now || !second.MatchString(at) {
		t.Errorf("reload_error at %q, now %q: want the same, UTC to the second", at, got.Now)
	}
}
