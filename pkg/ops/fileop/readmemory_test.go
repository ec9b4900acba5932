package fileop

import (
	"crypto/rand"
	"encoding/base64"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReadBuildsItsOutputInOneCopy: file.read holds what it read and its
// text, no more: it read a file's head and tail, joined them in a copy
// and encoded that in two more (base64's bytes, then their string), five
// times the bytes for base64, which a fan-out multiplied into gigabytes.
func TestReadBuildsItsOutputInOneCopy(t *testing.T) {
	e := newEnv(t)
	const mib = 1 << 20
	data := make([]byte, 4*mib)
	rand.Read(data)
	e.file("big.bin", string(data))
	e.file("text.txt", strings.Repeat("a line of text\n", 2*mib/15))
	for _, c := range []struct {
		name, path, encoding string
		raw, text            int // the bytes read and the output's
	}{
		{"base64 of a cut file", "big.bin", "base64", 2 * mib, base64.StdEncoding.EncodedLen(2*mib + 64)},
		{"text of a whole file", "text.txt", "text", 2 * mib, 2 * mib},
	} {
		var out map[string]any
		var err error
		n := allocated(func() {
			out, err = e.run("file.read", map[string]any{"path": c.path, "max_bytes": 2 * mib, "encoding": c.encoding})
		})
		if err != nil {
			t.Fatal(err)
		}
		if s := out["content"].(string); len(s) < c.text-100 {
			t.Fatalf("%s: %d bytes of content", c.name, len(s))
		}
		if limit := uint64(c.raw+c.text) + 256<<10; n > limit {
			t.Errorf("%s: allocated %d bytes; want at most %d (the bytes read and their text, once each)", c.name, n, limit)
		}
	}
}

// TestReadsHoldTheProcessOutputMemory: reads at once hold their bytes in
// the registry's output memory, and wait for room beyond its limit
// rather than all holding theirs together; one larger than the whole
// limit is refused, naming it and the setting that raises it.
func TestReadsHoldTheProcessOutputMemory(t *testing.T) {
	e := newEnv(t)
	const mib = 1 << 20
	data := make([]byte, 3*mib)
	rand.Read(data)
	e.file("big.bin", string(data))
	mem := e.r.OutputMemory()
	mem.SetLimit(8 * mib)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Go(func() {
			out, err := e.run("file.read", map[string]any{"path": "big.bin", "max_bytes": 2 * mib, "encoding": "base64"})
			if err == nil && !strings.HasPrefix(out["content"].(string), base64.StdEncoding.EncodeToString(data[:30])) {
				t.Error("the content is not the file's")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Each read holds its 2 MiB and their base64: 4.7 MiB; a second
	// would pass the limit, so they went one at a time.
	now, peak := mem.Used()
	if now != 0 || peak < 4*mib || peak > 8*mib {
		t.Errorf("held %d bytes after, at most %d at once; want 0, and one read's 4.7 MiB at once", now, peak)
	}
	mem.SetLimit(4 * mib)
	_, err := e.run("file.read", map[string]any{"path": "big.bin", "max_bytes": 2 * mib, "encoding": "base64"})
	if err == nil || ops.ClassOf(err) != ops.ClassExecution || !strings.Contains(err.Error(), "max_bytes 2097152, encoding base64) would hold") ||
		!strings.Contains(err.Error(), "more than the 4 MiB") || !strings.Contains(err.Error(), "--max-output-memory") {
		t.Errorf("a read past the whole limit: %v", err)
	}
}
