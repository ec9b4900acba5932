package proc

import (
	"fmt"
	"testing"
)

// BenchmarkMaskCommandLine: a process.list after a start, with the full
// set of remembered secrets (the masker built again), then per line.
func BenchmarkMaskCommandLine(b *testing.B) {
	s := &Supervisor{running: map[int]*child{}}
	for i := range MaxSeenSecrets {
		s.rememberSecretsLocked([]string{fmt.Sprintf("secret-value-%06d", i)})
	}
	line := "/usr/bin/python3 -m worker --queue=default --token=secret-value-000042 --verbose"
	b.Run("rebuilt", func(b *testing.B) {
		for b.Loop() {
			s.masker = nil
			s.MaskCommandLine(1, line)
		}
	})
	b.Run("line", func(b *testing.B) {
		for b.Loop() {
			s.MaskCommandLine(1, line)
		}
	})
}
