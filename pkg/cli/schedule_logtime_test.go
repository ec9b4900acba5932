package cli

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/rs/zerolog"
)

// TestDaemonConsoleLogHasDateAndZone: a console line of `schedule` and
// `serve` starts with the date, the time to the millisecond and the zone,
// so that a daemon's log read the next morning says which day, and in
// which zone, a line was written. Before, it had the time of day alone.
func TestDaemonConsoleLogHasDateAndZone(t *testing.T) {
	var buf bytes.Buffer
	log := newScheduleLogger(&buf, false, false, zerolog.InfoLevel)
	log.Info().Msg("listening")
	full := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2}) INF listening\n$`)
	if !full.MatchString(buf.String()) {
		t.Errorf("console line %q has no date, time and zone", buf.String())
	}
}
