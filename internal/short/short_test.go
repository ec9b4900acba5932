package short

import (
	"testing"
	"time"
)

// TestDuration: durations read as users write them, with no zero units.
func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                 "0s",
		500 * time.Millisecond:            "500ms",
		1500 * time.Millisecond:           "1.5s",
		30 * time.Second:                  "30s",
		time.Minute:                       "1m",
		90 * time.Second:                  "1m30s",
		10 * time.Minute:                  "10m",
		time.Hour:                         "1h",
		time.Hour + 30*time.Second:        "1h30s",
		time.Hour + 30*time.Minute:        "1h30m",
		24 * time.Hour:                    "24h",
		744 * time.Hour:                   "744h",
		-2 * time.Hour:                    "-2h",
		2*time.Hour + 3*time.Minute + 4e9: "2h3m4s",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%d) = %q, want %q", d, got, want)
		}
	}
}
