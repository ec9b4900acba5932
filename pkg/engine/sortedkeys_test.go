package engine

import (
	"slices"
	"testing"
)

// Every run sorts its inputs and environment: the keys are gathered into
// one slice sized for them, not grown key by key.
func TestSortedKeysOneAllocation(t *testing.T) {
	m := map[string]any{}
	for _, k := range []string{"j", "b", "h", "a", "e", "i", "c", "g", "d", "f", "k", "l"} {
		m[k] = 1
	}
	var got []string
	allocs := testing.AllocsPerRun(100, func() { got = sortedKeys(m) })
	if want := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}; !slices.Equal(got, want) {
		t.Fatalf("sortedKeys = %v, want %v", got, want)
	}
	if allocs > 1 {
		t.Errorf("sortedKeys of 12 keys made %.0f allocations, want 1", allocs)
	}
	if k := sortedKeys(map[string]string{}); k != nil {
		t.Errorf("sortedKeys of an empty map = %#v, want nil", k)
	}
}
