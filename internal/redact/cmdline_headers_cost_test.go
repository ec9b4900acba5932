package redact

import (
	"runtime"
	"strings"
	"testing"
)

// TestCredentialHeadersLinear checks that a command line of many
// credential headers is masked in memory that grows with its length, not
// with its square: each header's value was read from a copy of every
// word after it, which made a process listing of a long command line
// (up to the kernel's 2 MiB of arguments) take seconds.
func TestCredentialHeadersLinear(t *testing.T) {
	const n = 4000
	s := strings.Repeat(`Authorization: "Bearer `, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got := credentialHeaderValues(s)
	runtime.ReadMemStats(&after)
	if strings.Count(got, Mask) == 0 {
		t.Fatalf("no header value masked: %.80q", got)
	}
	// The words' spans, the masks and the masked copy: a few MiB. The
	// copies took n*n/2 spans of 16 bytes each, 128 MiB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("masking %d headers (%d bytes) allocated %d MiB, want at most 16", n, len(s), alloc>>20)
	}
}
