package cli

import (
	"math"
	"runtime/debug"
	"strings"
	"testing"
)

// TestServeCapsTheHeapByTheOutputMemory: at serve's collector target of
// 400 the heap could grow to five times the outputs steps hold at once;
// a soft memory limit of twice the output memory and serve's own keeps
// it near that, unless GOGC or GOMEMLIMIT says otherwise.
func TestServeCapsTheHeapByTheOutputMemory(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for _, c := range []struct {
		env  map[string]string
		want int64
	}{
		{nil, 2*(100<<20) + serveHeapBase},
		{map[string]string{"GOMEMLIMIT": "1GiB"}, math.MaxInt64},
		{map[string]string{"GOGC": "100"}, math.MaxInt64},
	} {
		debug.SetMemoryLimit(math.MaxInt64)
		setServeGC(func(k string) string { return c.env[k] }, 100<<20)
		if got := debug.SetMemoryLimit(-1); got != c.want {
			t.Errorf("%v: memory limit %d, want %d", c.env, got, c.want)
		}
	}
	var mib int
	if err := setOutputMemory(&mib)("8"); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Errorf("--max-output-memory 8: %v", err)
	}
	if err := setOutputMemory(&mib)("1024"); err != nil || mib != 1024 {
		t.Errorf("--max-output-memory 1024: %d, %v", mib, err)
	}
}
