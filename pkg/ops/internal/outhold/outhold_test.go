package outhold

import (
	"context"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestRefusedBytesAreDropped: a stream whose room the pool refuses (its
// step ended while it waited, or it would pass the whole pool) keeps no
// more than the pool gave it; the rest is dropped, and its text says so
// as a cut at max_output does. The bytes were kept all the same: the
// buffer held the whole max_output beside a pool that had given it a
// fraction.
func TestRefusedBytesAreDropped(t *testing.T) {
	const mib = 1 << 20
	chunk := []byte(strings.Repeat("x", 64<<10))
	for _, tc := range []struct {
		name  string
		ended bool // the step's context ends before the stream is written
		other int64
	}{
		{"the step ended while it waited", true, 8 * mib},
		{"more than the whole pool", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := ops.NewOutputMemory(16 * mib)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.other > 0 {
				a, err := mem.Hold(ctx, tc.other, "a")
				if err != nil {
					t.Fatal(err)
				}
				defer a.Release()
			}
			s, err := Hold(ctx, mem, 64*mib, func() string { return "s" })
			if err != nil {
				t.Fatal(err)
			}
			if tc.ended {
				cancel()
			}
			b := s.Buffer(64 * mib)
			written := 0
			for written < 24*mib {
				n, _ := b.Write(chunk)
				written += n
			}
			now, _ := mem.Used()
			if held := int64(b.Held()); held > now-tc.other {
				t.Errorf("the buffer holds %d bytes; the pool gave the step %d", held, now-tc.other)
			}
			if !b.Truncated() || int(b.Dropped())+b.Kept() != written {
				t.Errorf("truncated %v, %d dropped and %d kept of %d written", b.Truncated(), b.Dropped(), b.Kept(), written)
			}
			text := s.Text(b)
			if !strings.Contains(text, " bytes truncated ...]") || !strings.HasPrefix(text, "xxx") || !strings.HasSuffix(text, "xxx") {
				t.Errorf("the text (%d bytes) does not say it was cut between its head and its tail", len(text))
			}
			s.Release()
			if now, _ := mem.Used(); now != tc.other {
				t.Errorf("%d bytes held after its release", now-tc.other)
			}
		})
	}
}
