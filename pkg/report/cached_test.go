package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestCachedAndResourcesInEveryFormat renders a run with a cache hit, a
// fan-out with a cached item and a process step's resources, and looks for
// them in each format.
func TestCachedAndResourcesInEveryFormat(t *testing.T) {
	at := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "c"}, Status: StatusSucceeded,
		StartedAt: at, FinishedAt: at.Add(time.Second), DurationMS: 1000, Roles: []string{"operator"},
		Steps: []Step{
			{ID: "probe", Op: "http.request", Section: "steps", Status: StatusSucceeded, StartedAt: &at, Cached: true, CacheAgeMS: 185_000,
				Output: map[string]any{"status": 200.0}},
			{ID: "each", Op: "http.request", Section: "steps", Status: StatusSucceeded, StartedAt: &at, Attempts: 1,
				Items: []Item{{Index: 0, Status: StatusSucceeded, Attempts: 1}, {Index: 1, Status: StatusSucceeded, Cached: true, CacheAgeMS: 10}}},
			{ID: "build", Op: "shell.exec", Section: "steps", Status: StatusSucceeded, StartedAt: &at, Attempts: 1, DurationMS: 900,
				Output: map[string]any{"exit_code": 0.0, "resources": map[string]any{"cpu_user_ms": 812.0, "cpu_sys_ms": 40.0, "max_rss_kb": 204800.0}}},
		}}
	want := map[string][]string{
		"text":     {"cached: output from an entry 3m5s old", "1 of 2 items answered from the cache"},
		"markdown": {"cached: output from an entry 3m5s old", "1 of 2 items answered from the cache"},
		"junit":    {"cached: output from an entry 3m5s old", "1 of 2 items answered from the cache", "resources: CPU 812ms user, 40ms system; peak memory 200.0 MiB"},
		"html":     {"<dt>Cache</dt><dd>cached: output from an entry 3m5s old", "<dt>Resources</dt><dd>CPU 812ms user, 40ms system; peak memory 200.0 MiB"},
		"json":     {`"cached": true`, `"cache_age_ms": 185000`, `"cpu_user_ms": 812`},
	}
	for _, f := range Formats {
		words, ok := want[f]
		if !ok {
			t.Errorf("format %s is not covered by this test", f)
			continue
		}
		var b bytes.Buffer
		if err := Render(&b, r, f); err != nil {
			t.Fatal(err)
		}
		for _, w := range words {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s does not show %q:\n%s", f, w, b.String())
			}
		}
	}
}
