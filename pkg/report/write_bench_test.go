package report

import (
	"bytes"
	"fmt"
	"os"
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

// BenchmarkFileAReport compares a report of 1.9 KB written as a file of
// its own, named when whole, as the state dir keeps reports, with the
// same bytes appended to one open file: what one file a run costs, which
// is the file system's (an inode and a directory entry a report).
//
//	go test -run '^$' -bench 'BenchmarkFileAReport' -benchtime 5000x ./pkg/report/
func BenchmarkFileAReport(b *testing.B) {
	data := bytes.Repeat([]byte{'x'}, 1900)
	cpu := func() int64 {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return ru.Utime.Nano() + ru.Stime.Nano()
	}
	b.Run("file", func(b *testing.B) {
		dir := b.TempDir()
		c0, i := cpu(), 0
		for b.Loop() {
			if err := writeFile(filepath.Join(dir, fmt.Sprintf("run-%08d.json", i)), data, 0o600, false); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(cpu()-c0)/1e3/float64(b.N), "cpu-µs/op")
	})
	b.Run("appended", func(b *testing.B) {
		f, err := os.OpenFile(filepath.Join(b.TempDir(), "reports.jsonl"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		c0 := cpu()
		for b.Loop() {
			if _, err := f.Write(data); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cpu()-c0)/1e3/float64(b.N), "cpu-µs/op")
	})
}
