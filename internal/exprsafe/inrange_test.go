package exprsafe

import (
	"math"
	"strings"
	"testing"
)

// TestInLiteralRangeComparesEnds: x in lo..hi with integer literal ends
// builds no range, so one past the memory budget works (it failed with
// "memory budget exceeded").
func TestInLiteralRangeComparesEnds(t *testing.T) {
	for _, src := range []string{"v.x in 1..65535", "x in 1..65535", "v.x not in -9..-1"} {
		prog := compile(t, src, map[string]any{"v": map[string]any{"x": 3}, "x": 3})
		if d := prog.Disassemble(); strings.Contains(d, "OpRange") {
			t.Errorf("%s builds its range:\n%s", src, d)
		}
	}
	for x, want := range map[any]bool{3: true, 5_000_000: true, 5_000_001: false, 0: false, 5e6: true, 2.5: false} {
		env := map[string]any{"v": map[string]any{"x": x}}
		got, err := run(t, "v.x in 1..5000000", env)
		if err != nil || got != want {
			t.Errorf("%v in 1..5000000: %v %v, want %v", x, got, err, want)
		}
	}
}

// TestInLiteralRangeKeepsMeaning: x in lo..hi gives what expr's search of
// the range gives, for numbers of every kind, null and what is no number,
// whether x's type is known or not.
func TestInLiteralRangeKeepsMeaning(t *testing.T) {
	values := []any{3, 5, 6, 0, -3, 2.0, 1.5, -2.0, 1e300, math.NaN(), math.Inf(-1), int64(3), uint8(2), uint64(math.MaxUint64), float32(2), nil, "2", true, []any{2}}
	for _, x := range values {
		envs := []map[string]any{{"v": map[string]any{"x": x}}}
		if _, ok := x.(string); !ok && x != nil {
			envs = append(envs, map[string]any{"v": map[string]any{"x": x}, "x": x})
		}
		for _, env := range envs {
			for _, src := range []string{"v.x in 1..5", "v.x not in 1..5", "v.x in -4..-2", "v.x in 3..1", "!(v.x in 0..0)"} {
				if len(env) == 2 {
					if _, ok := x.(bool); ok {
						continue
					}
					if _, ok := x.([]any); ok {
						continue
					}
					src = strings.Replace(src, "v.x", "x", 1)
				}
				want, err := plainUniq(t, src, env)
				got, err2 := run(t, src, env)
				if got != want || (err == nil) != (err2 == nil) {
					t.Errorf("%s with %T %v: %v %v, want %v %v", src, x, x, got, err2, want, err)
				}
			}
		}
	}
}
