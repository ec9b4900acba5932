package scheduler

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

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
