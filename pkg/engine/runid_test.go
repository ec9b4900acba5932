package engine

import (
	"maps"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestNewRunIDSortsByTime: ids made a microsecond or more apart sort in
// the order they were made, within a second too; their first five hex
// digits are the microsecond; no two are alike.
func TestNewRunIDSortsByTime(t *testing.T) {
	shape := regexp.MustCompile(`^\d{8}T\d{6}-[0-9a-f]{32}$`)
	seen := map[string]bool{}
	prev := ""
	for range 300 {
		before := time.Now().UTC()
		id := NewRunID()
		after := time.Now().UTC()
		if !shape.MatchString(id) {
			t.Fatalf("id %q is not a timestamp and 32 hex digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		if id <= prev {
			t.Fatalf("id %q made after %q sorts before it", id, prev)
		}
		prev = id
		if before.Unix() == after.Unix() {
			us, err := strconv.ParseUint(id[16:21], 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := uint64(before.Nanosecond()/1000), uint64(after.Nanosecond()/1000)
			if us < lo || us > hi {
				t.Fatalf("id %q holds microsecond %d, made between %d and %d", id, us, lo, hi)
			}
		}
		time.Sleep(2 * time.Microsecond)
	}
}

// TestNewRunIDAllocatesOnlyItsString: every API execute takes an id, so
// making one costs a single allocation.
func TestNewRunIDAllocatesOnlyItsString(t *testing.T) {
	want := 1.0
	if raceBuild {
		// The race detector's instrumentation puts the random bytes
		// read by crypto/rand on the heap: one more, and still two
		// fewer than the three of formatting and encoding apart.
		want = 2
	}
	if n := testing.AllocsPerRun(200, func() { _ = NewRunID() }); n > want {
		t.Errorf("NewRunID makes %v allocations; want %v", n, want)
	}
}

// TestEnvironFollowsTheEnvironment: the memo of the last environment
// never answers for another one, nor for the same slice changed since.
func TestEnvironFollowsTheEnvironment(t *testing.T) {
	list := []string{"A=1", "B=x=y"}
	for _, c := range []struct {
		env  []string
		want map[string]any
	}{
		{list, map[string]any{"A": "1", "B": "x=y"}},
		{list, map[string]any{"A": "1", "B": "x=y"}},
		{[]string{"A=2"}, map[string]any{"A": "2"}},
		{list, map[string]any{"A": "1", "B": "x=y"}},
	} {
		if got := environ(c.env); !maps.Equal(got, c.want) {
			t.Errorf("environ(%q) = %v, want %v", c.env, got, c.want)
		}
	}
	list[0] = "A=3"
	if got := environ(list); got["A"] != "3" {
		t.Errorf("environ of a changed slice: A=%q, want 3", got["A"])
	}
}
