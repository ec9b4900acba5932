package capture

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// budget is a Room of a fixed number of bytes.
type budget struct{ left, took int }

func (r *budget) Take(n int) bool {
	if n > r.left {
		return false
	}
	r.left -= n
	r.took += n
	return true
}

// TestRoomRefusedKeepsWhatItHas: a buffer whose room is refused keeps the
// bytes it had room for, head and tail, and drops the rest, counted; one
// given no room at all keeps nothing and says how much it dropped. Its
// buffers never take more than its room gave, and once cut no more than
// its limit (the tail is the rest of the head's array).
func TestRoomRefusedKeepsWhatItHas(t *testing.T) {
	in := []byte(strings.Repeat("0123456789", 1000)) // 10,000 bytes
	for _, tc := range []struct {
		name       string
		room       int
		limit      int
		kept, held int
	}{
		{"no room", 0, 4096, 0, 0},
		{"room for 2048", 2048, 8192, 2048, 2048},
		{"room for all of the limit", 1 << 20, 4096, 4096, 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &budget{left: tc.room}
			b := NewBuffer(tc.limit)
			b.TakeFrom(r)
			for i := 0; i < len(in); i += 100 {
				b.Write(in[i : i+100])
			}
			if b.Kept() != tc.kept || b.Held() != tc.held || b.Held() > r.took || int(b.Dropped())+b.Kept() != len(in) {
				t.Errorf("kept %d, held %d (room given %d), dropped %d; want kept %d, held %d", b.Kept(), b.Held(), r.took, b.Dropped(), tc.kept, tc.held)
			}
			out := b.Bytes()
			note := []byte("[... " + strconv.Itoa(len(in)-tc.kept) + " bytes truncated ...]")
			if !bytes.Contains(out, note) || !bytes.HasPrefix(out, in[:tc.kept/2]) || !bytes.HasSuffix(out, in[len(in)-tc.kept/2:]) {
				t.Errorf("Bytes = %.80q…", out)
			}
		})
	}
}
