package server

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestStatsAreReadOnceForManyCallers: callers asking for the same range at
// once, or within statsFresh, share one read of the history; a later
// caller or another range reads again.
func TestStatsAreReadOnceForManyCallers(t *testing.T) {
	c := newStatsCache()
	var reads atomic.Int32
	read := func(ctx context.Context, since time.Time) ([]history.OpStats, error) {
		reads.Add(1)
		time.Sleep(20 * time.Millisecond)
		return []history.OpStats{{Op: "control.noop", Count: 1}}, nil
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ops, err := c.get(context.Background(), time.Hour, now, read); err != nil || len(ops) != 1 {
				t.Errorf("get = %v, %v", ops, err)
			}
		}()
	}
	wg.Wait()
	if n := reads.Load(); n != 1 {
		t.Fatalf("8 callers at once read the history %d times, want 1", n)
	}
	c.get(context.Background(), time.Hour, now.Add(statsFresh-time.Second), read)
	if n := reads.Load(); n != 1 {
		t.Errorf("a caller within %s read again", statsFresh)
	}
	c.get(context.Background(), 24*time.Hour, now.Add(time.Second), read)
	c.get(context.Background(), 24*time.Hour, now.Add(time.Second+statsFresh), read)
	if n := reads.Load(); n != 3 {
		t.Errorf("reads = %d, want 3: another range, then the same range once stale", n)
	}
	// A caller that gives up while another reads is not kept waiting.
	ctx, cancel := context.WithCancel(context.Background())
	<-c.turn
	cancel()
	if _, err := c.get(ctx, time.Hour, now, read); err == nil {
		t.Error("a cancelled caller got an answer while another held the turn")
	}
	c.turn <- struct{}{}
}

// TestStatsRange: a range is a positive Go duration or a number of days,
// up to 366 days; a number of days too large to be a duration is refused,
// not wrapped around into some other range.
func TestStatsRange(t *testing.T) {
	for v, want := range map[string]time.Duration{
		"1h": time.Hour, "90m": 90 * time.Minute, "7d": 7 * 24 * time.Hour, "366d": 366 * 24 * time.Hour, "8784h": 366 * 24 * time.Hour,
	} {
		if d, err := parseRange(v); err != nil || d != want {
			t.Errorf("parseRange(%q) = %v, %v; want %v", v, d, err, want)
		}
	}
	for _, v := range []string{"", "0", "0d", "-1h", "-1d", "1.5d", "367d", "8785h", "1w", "abc", "d",
		"106752d", "213504d", "9223372036854775807d", "99999999999999999999d"} {
		if d, err := parseRange(v); err == nil {
			t.Errorf("parseRange(%q) = %v, want an error", v, d)
		}
	}
}
