package history

import (
	"context"
	"testing"
)

// BenchmarkWatchBusy measures what watching one write for another
// process's write lock costs a write that does not wait: every write of
// the history (a run's start and end, a slot claimed) pays it.
func BenchmarkWatchBusy(b *testing.B) {
	s := openStore(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.watchBusy().end(nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteSmall measures a write statement that changes nothing,
// watch included: the part of a write the watch is.
func BenchmarkWriteSmall(b *testing.B) {
	s := openStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.exec(ctx, "UPDATE runs SET status = status WHERE id = 'none'"); err != nil {
			b.Fatal(err)
		}
	}
}
