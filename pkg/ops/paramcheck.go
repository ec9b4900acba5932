package ops

// The checks of a converted parameter value (enum, bounds, length, item
// types) and how their messages show the value and the bounds.

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
)

// check applies enum, bounds and item types to a converted value.
func (p *Param) check(v any) error {
	if len(p.Enum) > 0 {
		ok := false
		for _, e := range p.Enum {
			if enumEqual(e, v) {
				ok = true
				break
			}
		}
		if !ok {
			if hint := p.EnumHints[fmt.Sprint(v)]; hint != "" {
				return fmt.Errorf("%v is not one of %s; %s", v, enumList(p.Enum), hint)
			}
			return fmt.Errorf("%v is not one of %s%s", v, enumList(p.Enum), enumMeant(p.Enum, v))
		}
	}
	var n float64
	hasN := false
	switch x := v.(type) {
	case int:
		n, hasN = float64(x), true
	case float64:
		n, hasN = x, true
	case time.Duration:
		n, hasN = x.Seconds(), true
		if x <= 0 && p.Min == nil {
			return errors.New("must be a positive duration")
		}
	case string:
		if p.MaxLen > 0 && len(x) > p.MaxLen {
			return fmt.Errorf("is %d bytes long, at most %d allowed", len(x), p.MaxLen)
		}
	case []any:
		if p.MaxLen > 0 && len(x) > p.MaxLen {
			return fmt.Errorf("has %d items, at most %d allowed", len(x), p.MaxLen)
		}
		if p.Items != "" && p.Items != TypeAny {
			for i, it := range x {
				if it == Deferred {
					continue
				}
				if _, err := convertTo(p.Items, it); err != nil {
					if h := quoteHint(p.Items, it); h != "" {
						err = fmt.Errorf("%w; %s", err, h)
					}
					return fmt.Errorf("item %d: %w", i, err)
				}
			}
		}
	}
	if hasN {
		if p.Min != nil && n < *p.Min {
			return fmt.Errorf("%v is below the minimum %v", fmtValue(v), fmtBound(p, *p.Min))
		}
		if p.Max != nil && n > *p.Max {
			return fmt.Errorf("%v is above the maximum %v", fmtValue(v), fmtBound(p, *p.Max))
		}
	}
	return nil
}

// enumEqual compares an enum entry with a converted value; numbers compare
// by value whatever their Go type, so Enum: []any{1, 2} works for a number
// param.
func enumEqual(e, v any) bool {
	if ef, ok := toFloat(e); ok {
		vf, ok := toFloat(v)
		return ok && ef == vf
	}
	return e == v
}

// fmtValue is a param value as a message shows it: a duration as the
// user wrote it (2m, not 2m0s).
func fmtValue(v any) any {
	if d, ok := v.(time.Duration); ok {
		return short.Duration(d)
	}
	return v
}

func fmtBound(p *Param, b float64) any {
	if p.Type == TypeDuration {
		return short.Duration(time.Duration(b * float64(time.Second)))
	}
	return b
}

func enumList(enum []any) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		parts[i] = fmt.Sprint(e)
	}
	return strings.Join(parts, ", ")
}
