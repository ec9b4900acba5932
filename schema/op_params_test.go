package schema_test

import (
	"testing"

	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

// TestOpDurationsTakeDaysAndWeeks checks that operation parameters of type
// duration accept the days and weeks that ops.ParseDuration reads, while
// the playbook's own durations stay Go durations.
func TestOpDurationsTakeDaysAndWeeks(t *testing.T) {
	s := schematest.Compile(t, "playbook")
	doc := func(olderThan, timeout string) string {
		return "version: 1\nname: housekeeping\nsteps:\n  - id: old\n    op: file.find\n    timeout: " + timeout +
			"\n    with: {path: /var/cache/app, older_than: " + olderThan + "}\n"
	}
	tests := []struct {
		olderThan, timeout string
		ok                 bool
	}{
		{"7d", "1m", true},
		{"2w", "1m", true},
		{"1d12h", "1m", true},
		{"36h", "1m", true},
		{"0s", "1m", true}, // older_than has a minimum of 0
		{"7x", "1m", false},
		{"d", "1m", false},
		{"h1d", "1m", false},
		{"7d", "1d", false}, // a step timeout is a Go duration
	}
	for _, tc := range tests {
		v, err := schematest.FromYAML([]byte(doc(tc.olderThan, tc.timeout)))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(v); (err == nil) != tc.ok {
			t.Errorf("older_than %s, timeout %s: valid %v, want %v (%v)", tc.olderThan, tc.timeout, err == nil, tc.ok, err)
		}
	}
}
