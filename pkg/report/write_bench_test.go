package report

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
)

// BenchmarkWriteUnsynced is the state dir's copy of a run's report, as
// every run with a state dir writes it: a new file in a directory that
// fills with them. It reports the process's CPU time a report, kernel
// time included, which is most of it.
func BenchmarkWriteUnsynced(b *testing.B) {
	r := loadGolden(b, goldenInputs[0])
	dir := b.TempDir()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	i := 0
	for b.Loop() {
		if err := WriteUnsynced(filepath.Join(dir, fmt.Sprintf("run-%08d.json", i)), r); err != nil {
			b.Fatal(err)
		}
		i++
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/op")
}
