package outhold

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestTextHeldAsReckoned: the text of a stream of invalid bytes, three
// bytes of U+FFFD for each, is held in the pool as the buffers are, the
// heap it takes counted: it took the pool's room of twice its bytes, a
// third of the whole past it (and the joined copy and the string grown
// through copies more). When the pool cannot give more, each run of
// invalid bytes is one U+FFFD, within the room the bytes took.
func TestTextHeldAsReckoned(t *testing.T) {
	const limit = 1 << 20
	for _, tc := range []struct {
		name    string
		written int
		pool    int64 // the output memory's limit
		fffd    int   // U+FFFD in the text
	}{
		{"whole", limit, 64 << 20, limit},
		{"cut", 3 * limit, 64 << 20, limit},
		{"the pool has no more", limit, perByte*limit + noteRoom, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := ops.NewOutputMemory(tc.pool)
			s, err := Hold(context.Background(), mem, limit, func() string { return "s" })
			if err != nil {
				t.Fatal(err)
			}
			defer s.Release()
			b := s.Buffer(limit)
			b.Write(bytes.Repeat([]byte{0xff}, tc.written))
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			text := s.Text(b)
			runtime.ReadMemStats(&after)
			now, _ := mem.Used()
			allocated := int64(after.TotalAlloc - before.TotalAlloc)
			t.Logf("buffers %d, text %d, Text allocated %d, pool gave %d", b.Held(), len(text), allocated, now)
			if got := strings.Count(text, "\uFFFD"); got != tc.fffd {
				t.Errorf("%d U+FFFD in the text, want %d", got, tc.fffd)
			}
			// The test's own allocations beside Text's: a few hundred
			// bytes; the text is megabytes.
			const slack = 16 << 10
			if held := int64(b.Held()); held+int64(len(text)) > now || held+allocated > now+slack {
				t.Errorf("the buffers hold %d bytes and the text %d (Text allocated %d); the pool gave the step %d", held, len(text), allocated, now)
			}
		})
	}
}
