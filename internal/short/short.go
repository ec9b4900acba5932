// Package short writes values as people write them.
package short

import (
	"strings"
	"time"
)

// Duration writes d as a user writes it, without the zero units that
// time.Duration's String adds: 24h, not 24h0m0s; 10m, not 10m0s; 1h30s,
// not 1h0m30s. Durations under a minute read as String's: 30s, 1.5s,
// 500ms, 0s.
func Duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return strings.Replace(s, "h0m", "h", 1)
}
