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

// BenchmarkSignAndWrite is what a run with a state dir does with its
// report at its end: sign it (SignEncoded) and write the state dir's
// copy from that encoding (WriteUnsyncedEncoded), a new file a run.
//
//	go test -run '^$' -bench 'BenchmarkSignAndWrite$' -benchmem -benchtime 5000x ./pkg/report/
func BenchmarkSignAndWrite(b *testing.B) {
	r := loadGolden(b, goldenInputs[0])
	key := make([]byte, keyLen)
	dir := b.TempDir()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		enc, err := SignEncoded(r, key)
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteUnsyncedEncoded(filepath.Join(dir, fmt.Sprintf("run-%08d.json", i)), enc); err != nil {
			b.Fatal(err)
		}
		i++
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/op")
}
